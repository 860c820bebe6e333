"""dbt's `adapter` for SQLFluff's jinja templater (.sqlfluff library_path): adapter.dispatch
renders the default__ implementation of a project macro, the DuckDB SQL the linter checks."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context[f"default__{macro_name}"]
