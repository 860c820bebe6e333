{#-
  Published from int_lead_sources, which computes it: fct_sales_channels reads the same
  rows there (a mart reads staging and intermediate models only).
-#}
with

lead_sources as (

    select * from {{ ref('int_lead_sources') }}

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        source,
        leads,
        converted,
        lead_conversion_rate
    from lead_sources

)

select * from final
