with

source as (

    select * from {{ source('crm', 'accounts') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by account_id
        order by _load_id desc, _source_row desc
    ) = 1

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
        cast(created_at as timestamptz) as created_at,
        {{ local_date('created_at') }} as created_date,
        phone,
        email,
        _load_id as load_id
    from latest_version

)

select * from final
