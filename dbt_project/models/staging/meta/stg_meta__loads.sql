with

source as (

    select * from {{ source('meta', 'loads') }}

),

final as (

    select
        cast(load_id as bigint) as load_id,
        run_id,
        cast(as_of_date as date) as as_of_date,
        inbox,
        cast(started_at as {{ type_timestamptz() }}) as started_at,
        cast(finished_at as {{ type_timestamptz() }}) as finished_at,
        status
    from source

)

select * from final
