"""Pure domain: no web framework, ORM, HTTP client or Redis imports here."""
