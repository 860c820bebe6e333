{#-
  Data-quality rules of family identity (expectations/rules.yml) computed in dbt as of
  as_of_date: possible_duplicate_account (accounts whose names are equal once normalised and
  stripped of legal_form_suffixes). Rows in the shape of int_dq_checks, which unions the
  families.
-#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

account_names as (

    select
        account_id,
        account_name,
        owner_rep_id,
        {{ name_match_text('account_name') }} as name_words
    from accounts
    where created_date <= {{ as_of_date() }}

),

account_keys as (

    select
        account_id,
        account_name,
        owner_rep_id,
        -- a name made only of suffixes (say '有限公司') keeps them
        replace(
            coalesce(
                nullif(trim(regexp_replace(name_words, {{ legal_form_suffix_pattern() }}, '')), ''),
                name_words
            ),
            ' ', ''
        ) as name_key
    from account_names

),

account_twins as (

    select
        account_keys.account_id,
        account_keys.owner_rep_id,
        account_keys.name_key,
        {{ string_agg_ordered('twins.account_id', "', '", 'twins.account_id') }} as twin_ids,
        {{ string_agg_ordered("twins.account_id || ' ' || twins.account_name", "', '", 'twins.account_id') }}
            as twin_names
    from account_keys
    inner join account_keys as twins
        on
            account_keys.name_key = twins.name_key
            and account_keys.account_id != twins.account_id
    where account_keys.name_key != ''
    group by account_keys.account_id, account_keys.owner_rep_id, account_keys.name_key

),

possible_duplicate_account as (

    select
        'possible_duplicate_account' as rule,
        'accounts' as entity,
        account_id as record_id,
        owner_rep_id,
        'account_name' as column_name,
        'same name as ' || twin_ids as value_seen,
        'account name matches ' || twin_names || ' once case, width, spaces, punctuation and '
        || 'legal-form suffixes are ignored (''' || name_key || '''): merge them or tell them apart'
            as message
    from account_twins

),

final as (

    select * from possible_duplicate_account

)

select * from final
