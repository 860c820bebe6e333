with

latest_version as (

    {{ current_versions(source('crm', 'leads'), ['lead_id']) }}

),

final as (

    select
        lead_id,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        {{ local_date('created_at') }} as created_date,
        source,
        owner_rep_id,
        company_name,
        status,
        cast(converted_at as {{ type_timestamptz() }}) as converted_at,
        {{ local_date('converted_at') }} as converted_date,
        opportunity_id,
        cast(bant_budget as boolean) as bant_budget,
        cast(bant_authority as boolean) as bant_authority,
        cast(bant_need as boolean) as bant_need,
        cast(bant_timeline as boolean) as bant_timeline,
        phone,
        email,
        _load_id as load_id
    from latest_version

)

select * from final
