"""A store URL is shown with its password as `***` (SPEC §5)."""

import pytest

from warroom.redact import safe_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:PASSWORD@host/db", "postgresql+psycopg://u:***@host/db"),
        ("postgresql+psycopg://u:p%40ss@host:5432/db?sslmode=require", "postgresql+psycopg://u:***@host:5432/db?sslmode=require"),
        ("mysql://a:PASSWORD@c/d", "mysql://a:***@c/d"),
        ("sqlite:////tmp/warroom.db", "sqlite:////tmp/warroom.db"),
        ("postgresql://u@host/db", "postgresql://u@host/db"),
    ],
)
def test_safe_url_hides_the_password(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize("url", ["PASSWORD", "::PASSWORD@", "a b://u:PASSWORD@h/d"])
def test_a_url_that_does_not_parse_shows_nothing_of_it(url):
    assert "PASSWORD" not in safe_url(url)
