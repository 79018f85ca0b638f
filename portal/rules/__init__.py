"""Product-category accounting rules in the portal: sector associations and the operator
publish versioned rules per CPC class (`lca_engine.accounting_rules` holds the rule and the
check); product models are checked against the rule of their class while they are edited,
when they are computed and when they are submitted, and the certifier sees the check.

The package keeps a feature together: `models` (the table), `use_cases` (publishing,
finding the rule of a class, checking; they open no request state), `views` (the pages),
`forms`, `wording` (findings in words, translated) and `templates/`."""
