with

source as (

    select * from {{ source('meta', 'load_files') }}

),

final as (

    select
        cast(load_id as bigint) as load_id,
        run_id,
        entity,
        file_name,
        file_sha256,
        status,
        cast(rows_in as bigint) as rows_in,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(rows_unchanged as bigint) as rows_unchanged,
        cast(rows_released as bigint) as rows_released,
        message
    from source

)

select * from final
