{#-
  Registry of the current version of every record, as data-quality findings name them: entity,
  record_id (macros/dq.sql), a human label, the owner rep and the load of the current version.
  Owner per contract: the record's owner column; order lines, invoices and payments take the
  order's rep; a hierarchy-file row its rep; stage history the opportunity's owner;
  satisfaction surveys the account owner.
-#}
with

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

products as (

    select * from {{ ref('stg_erp__products') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

activities as (

    select {{ star_except('processed_load_id') }} from {{ ref('int_activities') }}

),

targets as (

    select * from {{ ref('stg_crm__targets') }}

),

capability_scores as (

    select * from {{ ref('stg_crm__capability_scores') }}

),

satisfaction_surveys as (

    select * from {{ ref('stg_crm__satisfaction_surveys') }}

),

orders as (

    select * from {{ ref('stg_erp__orders') }}

),

order_lines as (

    select {{ star_except(['product_line', 'processed_load_id']) }} from {{ ref('int_order_lines_enriched') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_finance__payments') }}

),

fx_rates as (

    select * from {{ ref('stg_finance__fx_rates') }}

),

marketing_spend as (

    select * from {{ ref('stg_finance__marketing_spend') }}

),

rep_assignments as (

    select * from {{ ref('stg_crm__rep_assignments') }}

),

order_labels as (

    select
        orders.order_id,
        orders.rep_id,
        coalesce(accounts.account_name, orders.order_id) as account_name
    from orders
    left join accounts
        on orders.account_id = accounts.account_id

),

records as (

    select
        'sales_reps' as entity,
        {{ record_id(['rep_id']) }} as record_id,
        rep_name as record_name,
        rep_id as owner_rep_id,
        load_id
    from sales_reps

    union all

    select
        'accounts' as entity,
        {{ record_id(['account_id']) }} as record_id,
        account_name as record_name,
        owner_rep_id,
        load_id
    from accounts

    union all

    select
        'products' as entity,
        {{ record_id(['product_id']) }} as record_id,
        product_name as record_name,
        cast(null as {{ type_text() }}) as owner_rep_id,
        load_id
    from products

    union all

    select
        'leads' as entity,
        {{ record_id(['lead_id']) }} as record_id,
        company_name as record_name,
        owner_rep_id,
        load_id
    from leads

    union all

    select
        'opportunities' as entity,
        {{ record_id(['opportunity_id']) }} as record_id,
        name as record_name,
        owner_rep_id,
        load_id
    from opportunities

    union all

    select
        'opportunity_stage_history' as entity,
        {{ record_id([
            'stage_history.opportunity_id', 'stage_history.stage', key_timestamp_text('stage_history.entered_at')
        ]) }} as record_id,
        opportunities.name as record_name,
        opportunities.owner_rep_id,
        stage_history.load_id
    from stage_history
    left join opportunities
        on stage_history.opportunity_id = opportunities.opportunity_id

    union all

    select
        'activities' as entity,
        {{ record_id(['activity_id']) }} as record_id,
        type || ' ' || cast(occurred_date as {{ type_text() }}) as record_name,
        rep_id as owner_rep_id,
        load_id
    from activities

    union all

    select
        'targets' as entity,
        {{ record_id(['period', 'level', 'scope_id', 'metric', 'product_line']) }} as record_id,
        metric || ' ' || period || ' ' || level || ' ' || scope_id as record_name,
        case when level = 'rep' then scope_id end as owner_rep_id,
        load_id
    from targets

    union all

    select
        'capability_scores' as entity,
        {{ record_id(['capability_scores.rep_id', 'capability_scores.period']) }} as record_id,
        sales_reps.rep_name as record_name,
        capability_scores.rep_id as owner_rep_id,
        capability_scores.load_id
    from capability_scores
    left join sales_reps
        on capability_scores.rep_id = sales_reps.rep_id

    union all

    select
        'satisfaction_surveys' as entity,
        {{ record_id(['satisfaction_surveys.account_id', 'satisfaction_surveys.surveyed_at']) }} as record_id,
        accounts.account_name as record_name,
        accounts.owner_rep_id,
        satisfaction_surveys.load_id
    from satisfaction_surveys
    left join accounts
        on satisfaction_surveys.account_id = accounts.account_id

    union all

    select
        'orders' as entity,
        {{ record_id(['orders.order_id']) }} as record_id,
        order_labels.account_name as record_name,
        orders.rep_id as owner_rep_id,
        orders.load_id
    from orders
    left join order_labels
        on orders.order_id = order_labels.order_id

    union all

    select
        'order_lines' as entity,
        {{ record_id(['order_lines.order_id', 'order_lines.line_no']) }} as record_id,
        order_labels.account_name as record_name,
        order_labels.rep_id as owner_rep_id,
        order_lines.load_id
    from order_lines
    left join order_labels
        on order_lines.order_id = order_labels.order_id

    union all

    select
        'invoices' as entity,
        {{ record_id(['invoices.invoice_id']) }} as record_id,
        order_labels.account_name as record_name,
        order_labels.rep_id as owner_rep_id,
        invoices.load_id
    from invoices
    left join order_labels
        on invoices.order_id = order_labels.order_id

    union all

    select
        'payments' as entity,
        {{ record_id(['payments.payment_id']) }} as record_id,
        order_labels.account_name as record_name,
        order_labels.rep_id as owner_rep_id,
        payments.load_id
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    left join order_labels
        on coalesce(payments.order_id, invoices.order_id) = order_labels.order_id

    union all

    select
        'fx_rates' as entity,
        {{ record_id(['rate_date', 'currency']) }} as record_id,
        currency || ' ' || cast(rate_date as {{ type_text() }}) as record_name,
        cast(null as {{ type_text() }}) as owner_rep_id,
        load_id
    from fx_rates

    union all

    select
        'marketing_spend' as entity,
        {{ record_id(['period', 'level', 'scope_id', 'channel']) }} as record_id,
        'spend ' || period || ' ' || level || ' ' || scope_id || coalesce(' ' || channel, '') as record_name,
        case when level = 'rep' then scope_id end as owner_rep_id,
        load_id
    from marketing_spend

    union all

    select
        'rep_assignments' as entity,
        {{ record_id(['rep_assignments.rep_id', 'rep_assignments.effective_from']) }} as record_id,
        coalesce(sales_reps.rep_name, rep_assignments.rep_id)
        || ' from ' || cast(rep_assignments.effective_from as {{ type_text() }}) as record_name,
        rep_assignments.rep_id as owner_rep_id,
        rep_assignments.load_id
    from rep_assignments
    left join sales_reps
        on rep_assignments.rep_id = sales_reps.rep_id

),

final as (

    select * from records

)

select * from final
