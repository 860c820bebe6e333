with

source as (

    select * from {{ source('meta', 'quarantine') }}

),

final as (

    select
        quarantine_id,
        cast(load_id as bigint) as load_id,
        entity,
        source_file,
        cast(source_row as bigint) as source_row,
        record_id,
        owner_rep_id,
        rule,
        column_name,
        value_seen,
        reason,
        cast(reasons as {{ type_json() }}) as reasons,
        cast(row_data as {{ type_json() }}) as row_data,
        cast(retryable as boolean) as retryable,
        cast(released_load_id as bigint) as released_load_id,
        cast(resolved_load_id as bigint) as resolved_load_id
    from source

)

select * from final
