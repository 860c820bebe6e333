with

source as (

    select * from {{ source('finance', 'fx_rates') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by rate_date, currency
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        cast(rate_date as date) as rate_date,
        currency,
        cast(rate_to_reporting as decimal(18, 6)) as rate_to_reporting,
        _load_id as load_id
    from latest_version

)

select * from final
