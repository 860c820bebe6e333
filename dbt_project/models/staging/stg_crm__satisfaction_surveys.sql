with

source as (

    select * from {{ source('crm', 'satisfaction_surveys') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by account_id, surveyed_at
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        account_id,
        cast(surveyed_at as date) as surveyed_at,
        cast(score as decimal(18, 6)) as score,
        _load_id as load_id
    from latest_version

)

select * from final
