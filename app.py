"""The entrypoint, a picture frame: it works out who is looking and runs the page chosen from that role's explicit list.

Only the pages of the viewer's role are given to `st.navigation`, so no other page can be opened,
not even by typing its address (warroom.access.ROLE_PAGES says which role gets which pages): the
address of another page runs the sign-in page, or sends a signed-in viewer to their own page.

The same file is the ASGI app that `streamlit run app.py` serves (Streamlit finds the `st.App` below
and runs it with uvicorn): imported by uvicorn it only builds that app, with the route that writes
the sign-in cookie (HttpOnly, which a script in the page cannot write) and the hook that turns any
error a run leaves uncaught into a short message. Run by Streamlit as the page script (`__main__`),
it routes the viewer.
"""

import streamlit as st

from warroom import access
from warroom.i18n import t
from warroom.web import auth, errors, frame, language, session
from warroom.web.intake_routes import intake_routes

# Every page: its file, the key of its title and its icon.
PAGES = {
    "big_screen": ("pages/big_screen.py", "page_big_screen", ":material/tv:"),
    "leaderboards": ("pages/leaderboards.py", "nav_leaderboards", ":material/leaderboard:"),
    "prompts": ("pages/prompts.py", "nav_prompts", ":material/campaign:"),
    "commission": ("pages/commission.py", "nav_commission", ":material/payments:"),
    "review": ("pages/review.py", "nav_review", ":material/insights:"),
    "setup": ("pages/setup.py", "nav_setup", ":material/settings:"),
    "my_ranking": ("pages/my_ranking.py", "nav_my_ranking", ":material/person:"),
    "login": ("pages/login.py", "nav_login", ":material/login:"),
}


def page(lang: str, key: str, *, default: bool = False, hidden: bool = False) -> st.Page:
    """Return the st.Page of one page key, at the URL path of the same name (the default page at the root)."""
    path, title, icon = PAGES[key]
    return st.Page(path, title=t(title, lang), icon=icon, url_path=f"{key}_home" if default else key, default=default,
                   visibility="hidden" if hidden else "visible")


def elsewhere(lang: str, key: str, viewer: access.Viewer | None, landing: st.Page, landing_key: str) -> st.Page:
    """Return what the address of a page this viewer may not open runs, instead of Streamlit's "Page not found" (in English).

    Signed out: the sign-in page, at that address, so that a lead's bookmark of /review opens the review
    once they have signed in. Signed in: a jump to their own landing page; the page itself never runs.
    """
    if viewer is None:
        return st.Page(PAGES["login"][0], title=t("nav_login", lang), url_path=key, visibility="hidden")
    return st.Page(lambda: st.switch_page(landing, query_params=st.query_params.to_dict()), title=t(PAGES[landing_key][1], lang), url_path=key, visibility="hidden")


def main() -> None:
    """Work out who is looking and run the page they chose, from their role's list."""
    session.app_ran()
    language.remember_language()
    lang = language.language()
    frame.configure_app(lang)
    live = session.open_event(lang)
    viewer = auth.current_viewer(live, auth.access_settings(live))
    role = viewer.role if viewer else None

    staff = live.config.staff_by_id().get(viewer.staff_id or "") if viewer else None
    keys = access.pages_for(role, staff.role if staff else None)
    # The landing page is served at the root; a hidden twin answers its own address too, so that a
    # bookmark or a reload of /big_screen (or /review, /my_ranking) finds it instead of "Page not found".
    landing = page(lang, keys[0], default=True)
    own = {keys[0]: landing, **{key: page(lang, key) for key in keys[1:]}}
    menu = {"": [*own.values(), page(lang, keys[0], hidden=True)]}
    signs_out = viewer is not None and viewer.via in ("password", "oidc")
    if signs_out:
        menu[t("nav_account", lang)] = [st.Page(auth.sign_out, title=t("nav_sign_out", lang), icon=":material/logout:", url_path="sign_out")]
    menu[""] += [elsewhere(lang, key, viewer, landing, keys[0]) for key in [*PAGES, *([] if signs_out else ["sign_out"])] if key not in keys]

    chosen = st.navigation(menu, position="top" if role in (access.LEAD, access.BOSS, access.STAFF) else "hidden")
    # A page a fresh process ran by itself came here with its address: go back to it, if it is one of this viewer's.
    wanted = access.page_to_resume(session.wanted_page(), keys)
    if wanted is not None and own[wanted].url_path != chosen.url_path:
        st.switch_page(own[wanted], query_params=st.query_params.to_dict())
    # After a sign-in or a sign-out, the browser fetches the route that writes its cookie, then comes back to this page.
    auth.write_session_cookie("" if chosen.url_path == landing.url_path else chosen.url_path)
    # A page that fails says so in a line, in the page's language; the detail goes to the server log.
    with errors.page_boundary():
        chosen.run()


if __name__ == "__main__":
    main()
else:
    # Imported by uvicorn (`streamlit run app.py` found this st.App): the server, with its cookie route, the HTTP intake
    # and health check (SPEC §6), and the error hook.
    app = st.App(__file__, routes=[*auth.http_routes(), *intake_routes()], on_script_error=errors.page_failed)
