with

versions as (

    {{ version_history(source('crm', 'opportunities'), ['opportunity_id']) }}

),

final as (

    select
        opportunity_id,
        owner_rep_id,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        {{ local_date('created_at') }} as created_date,
        stage,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        cast(expected_close_date as date) as expected_close_date,
        {{ forecast_category('forecast_category') }} as forecast_category,
        valid_from_date,
        valid_to_date,
        is_deleted,
        _load_id as load_id
    from versions

)

select * from final
