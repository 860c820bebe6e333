with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

final as (

    select
        account_id,
        account_name,
        industry,
        size_band,
        region,
        channel,
        owner_rep_id,
        created_at
    from accounts

)

select * from final
