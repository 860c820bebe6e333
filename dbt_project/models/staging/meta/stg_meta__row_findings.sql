with

source as (

    select * from {{ source('meta', 'row_findings') }}

),

final as (

    select
        cast(load_id as bigint) as load_id,
        entity,
        source_file,
        cast(source_row as bigint) as source_row,
        record_id,
        owner_rep_id,
        rule,
        column_name,
        value_seen,
        message
    from source

)

select * from final
