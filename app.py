"""The entrypoint, a picture frame: it works out who is looking and runs the page chosen from that role's explicit list.

Only the pages of the viewer's role are given to `st.navigation`, so no other page can be opened,
not even by typing its address (warroom.access.ROLE_PAGES says which role gets which pages): the
address of another page runs the sign-in page, or sends a signed-in viewer to their own page.
"""

import streamlit as st

from warroom import access, ui
from warroom.i18n import t

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

ui.app_ran()
ui.remember_language()
lang = ui.language()
ui.configure_app(lang)
live = ui.open_event(lang)
viewer = ui.current_viewer(live, ui.access_settings(live))
role = viewer.role if viewer else None
ui.write_session_cookie()


def page(key: str, *, default: bool = False, hidden: bool = False) -> st.Page:
    """Return the st.Page of one page key, at the URL path of the same name (the default page at the root)."""
    path, title, icon = PAGES[key]
    return st.Page(path, title=t(title, lang), icon=icon, url_path=f"{key}_home" if default else key, default=default,
                   visibility="hidden" if hidden else "visible")


staff = live.config.staff_by_id().get(viewer.staff_id or "") if viewer else None
keys = access.pages_for(role, staff.role if staff else None)
# The landing page is served at the root; a hidden twin answers its own address too, so that a
# bookmark or a reload of /big_screen (or /review, /my_ranking) finds it instead of "Page not found".
landing = page(keys[0], default=True)
menu = {"": [landing, *(page(key) for key in keys[1:]), page(keys[0], hidden=True)]}
signs_out = viewer is not None and viewer.via in ("password", "oidc")
if signs_out:
    menu[t("nav_account", lang)] = [st.Page(ui.sign_out, title=t("nav_sign_out", lang), icon=":material/logout:", url_path="sign_out")]


def elsewhere(key: str) -> st.Page:
    """Return what the address of a page this viewer may not open runs, instead of Streamlit's "Page not found" (in English).

    Signed out: the sign-in page, at that address, so that a lead's bookmark of /review opens the review
    once they have signed in. Signed in: a jump to their own landing page; the page itself never runs.
    """
    if viewer is None:
        return st.Page(PAGES["login"][0], title=t("nav_login", lang), url_path=key, visibility="hidden")
    return st.Page(lambda: st.switch_page(landing, query_params=st.query_params.to_dict()), title=t(PAGES[keys[0]][1], lang), url_path=key, visibility="hidden")


menu[""] += [elsewhere(key) for key in [*PAGES, *([] if signs_out else ["sign_out"])] if key not in keys]

st.navigation(menu, position="top" if role in (access.LEAD, access.BOSS, access.STAFF) else "hidden").run()
