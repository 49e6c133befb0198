"""A store URL is shown with its password as `***` (SPEC §5)."""

import pytest

from warroom.redact import hide_password, safe_url


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


@pytest.mark.parametrize(
    ("message", "url", "shown"),
    [
        ('connection to "h" failed: password PW rejected', "postgresql+psycopg://u:PW@h/d", 'connection to "h" failed: password *** rejected'),
        ("no password here", "postgresql+psycopg://u@h/d", "no password here"),
        ("unreadable url", "::PW@", "unreadable url"),
    ],
)
def test_hide_password_masks_a_password_a_driver_quotes(message, url, shown):
    assert hide_password(message, url) == shown
