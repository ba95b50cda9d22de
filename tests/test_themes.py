"""Sites and their themes in the console: the tokens are checked (Dutch words beside the
field), reach CSS only as custom properties of checked values, and the pop-up, the launcher
and the preview draw with them. Coordinators manage the sites of their regions, workers none."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import update

from backend import db, settings_changes, themes
from backend.models import Site, Worker, WorkerRole
from tests.helpers import CONSOLE_COOKIE, DEMO_SITE, logged_in_as, text_of
from tests.test_static_files import LAUNCHER_CSS

VALID = {
    "accent": "#1d4f91",
    "text_colour": "#ffffff",
    "font": "serif",
    "radius": "4",
    "corner": "left",
    "launcher_label": "Praat met ons",
}
HOSTILE = "red;}</style><script>alert(1)</script>"
# What a custom property of ours may hold: nothing else ever reaches a stylesheet.
TOKEN_VALUES = re.compile(
    r"#[0-9a-f]{6}|\d{1,2}px|auto|flex-start|var\(--vtchat-offset\)|"
    + "|".join(re.escape(stack) for _label, stack in themes.FONTS.values())
)


@pytest.fixture
def admin(app):
    return logged_in_as(app, WorkerRole.ADMIN, "demo")


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo")


def site_row(app, key=DEMO_SITE) -> Site:
    with app.app_context(), db.session() as s:
        return s.get(Site, key)


def css_of(app, key=DEMO_SITE) -> dict[str, str]:
    """The pop-up's theme and what the launcher's stylesheet of a site adds to launcher.css,
    as a browser gets them."""
    client = app.test_client()
    launcher = client.get(f"/embed/v1/sites/{key}/launcher.css").text
    assert launcher.startswith(LAUNCHER_CSS.read_text())
    return {
        "pop-up": client.get(f"/w/{key}/theme.css").text,
        "launcher": launcher.removeprefix(LAUNCHER_CSS.read_text()),
    }


def custom_properties(css: str) -> dict[str, str]:
    return dict(re.findall(r"(--v[\w-]+):\s*([^;]*);", css))


def assert_only_tokens(css: str) -> None:
    """Every custom property holds a checked token, and no rule but ours is there."""
    for name, value in custom_properties(css).items():
        assert TOKEN_VALUES.fullmatch(value), (name, value)
    assert "<" not in css and "alert" not in css and "red" not in css


# ---- the tokens ------------------------------------------------------------------------------


def test_contrast_is_the_wcag_ratio():
    assert themes.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert themes.contrast("#ffffff", "#ffffff") == pytest.approx(1)
    # The grey that just fails AA on white, and the darker one that just passes.
    assert themes.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert themes.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_the_demo_sites_colours_pass_their_own_check():
    from backend.seed import DEMO_SITES

    for _key, _name, accent in DEMO_SITES:
        assert themes.contrast(accent, "#ffffff") >= themes.MIN_CONTRAST, accent


def test_a_saved_theme_becomes_the_custom_properties_of_pop_up_and_launcher(app, admin):
    answer = admin.post(f"/console/sites/{DEMO_SITE}/theme", data={**VALID, "accent": " #1D4F91"})
    assert answer.status_code == 303
    assert "Het thema is opgeslagen." in text_of(admin.get(answer.headers["Location"]).text)

    css = css_of(app)
    assert custom_properties(css["pop-up"]) == {
        "--vt-accent": "#1d4f91",
        "--vt-on-accent": "#ffffff",
        "--vt-font": themes.FONTS["serif"][1],
        "--vt-radius": "4px",
    }
    launcher = custom_properties(css["launcher"])
    assert launcher == {
        "--vtchat-accent": "#1d4f91",
        "--vtchat-text-on-accent": "#ffffff",
        "--vtchat-font": themes.FONTS["serif"][1],
        "--vtchat-radius": "4px",
        "--vtchat-left": "var(--vtchat-offset)",
        "--vtchat-right": "auto",
        "--vtchat-align": "flex-start",
    }
    # The pop-up loads its theme; the host page the launcher's stylesheet and its words.
    page = app.test_client().get(f"/w/{DEMO_SITE}").text
    assert f'href="/w/{DEMO_SITE}/theme.css"' in page
    snippet = app.test_client().get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    assert f"/embed/v1/sites/{DEMO_SITE}/launcher.css" in snippet
    assert '<span class="vtchat-open-label">Praat met ons</span>' in snippet


def test_the_launcher_says_the_default_words_until_a_site_has_its_own(app, admin):
    snippet = app.test_client().get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    assert '<span class="vtchat-open-label">Chat met Veilig Thuis</span>' in snippet
    assert admin.post(f"/console/sites/{DEMO_SITE}/theme", data=VALID).status_code == 303
    admin.post(f"/console/sites/{DEMO_SITE}/theme", data={**VALID, "launcher_label": ""})
    snippet = app.test_client().get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    assert '<span class="vtchat-open-label">Chat met Veilig Thuis</span>' in snippet


def test_the_launcher_words_are_text_never_markup(app, admin):
    words = '<b>Hallo</b> & "zo"'
    assert (
        admin.post(
            f"/console/sites/{DEMO_SITE}/theme", data={**VALID, "launcher_label": words}
        ).status_code
        == 303
    )
    host = app.test_client().get(f"/demo/{DEMO_SITE}").text
    assert "<b>Hallo</b>" not in host
    assert "&lt;b&gt;Hallo&lt;/b&gt; &amp; &#34;zo&#34;" in host
    assert "Hallo" not in css_of(app)["launcher"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"accent": "red"}, "accent", "Schrijf een kleur als #7a1f5c."),
        ({"accent": HOSTILE}, "accent", "Schrijf een kleur als #7a1f5c."),
        ({"accent": "#12345"}, "accent", "Schrijf een kleur als #7a1f5c."),
        ({"accent": ""}, "accent", "Vul een kleur in."),
        ({"text_colour": "#fff"}, "text_colour", "Schrijf een kleur als #7a1f5c."),
        ({"text_colour": "#ffffff;}"}, "text_colour", "Schrijf een kleur als #7a1f5c."),
        ({"text_colour": "#fffffg"}, "text_colour", "Schrijf een kleur als #7a1f5c."),
        (
            {"accent": "#1d4f91", "text_colour": "#2a5a9a"},
            "text_colour",
            "Te weinig contrast met de huiskleur: 1,1 op 1, er is minstens 4,5 op 1 nodig"
            " om het te kunnen lezen.",
        ),
        (
            # Just short of AA: 4.48 to 1 is cut to 4,4, never rounded up to the 4,5 needed.
            {"accent": "#777777", "text_colour": "#ffffff"},
            "text_colour",
            "Te weinig contrast met de huiskleur: 4,4 op 1",
        ),
        (
            {"accent": "#ffff00", "text_colour": "#000000"},
            "accent",
            "Te licht voor links in de witte pop-up: 1,0 op 1 tegen wit, er is minstens 4,5"
            " op 1 nodig.",
        ),
        ({"font": "Comic Sans MS"}, "font", "Kies een lettertype uit de lijst."),
        ({"font": HOSTILE}, "font", "Kies een lettertype uit de lijst."),
        ({"radius": "25"}, "radius", "Een heel getal van 0 tot en met 24."),
        ({"radius": "-1"}, "radius", "Een heel getal van 0 tot en met 24."),
        ({"radius": "8px"}, "radius", "Een heel getal van 0 tot en met 24."),
        ({"radius": "１２"}, "radius", "Een heel getal van 0 tot en met 24."),
        ({"radius": ""}, "radius", "Vul een aantal pixels in."),
        ({"corner": "top"}, "corner", "Kies een hoek uit de lijst."),
        ({"launcher_label": "x" * 41}, "launcher_label", "Hoogstens 40 tekens."),
        (
            {"launcher_label": "Chat\u202emet ons"},
            "launcher_label",
            "Hier staat een teken in dat we niet kunnen tonen.",
        ),
    ],
)
def test_a_bad_token_is_refused_beside_its_field_and_nothing_changes(
    app, admin, fields, field, words
):
    before = css_of(app)
    answer = admin.post(f"/console/sites/{DEMO_SITE}/theme", data={**VALID, **fields})
    assert answer.status_code == 400
    error = re.search(
        rf'<span class="console-error" id="{field}-error">([^<]*)</span>', answer.text
    )
    assert error and words in error.group(1), text_of(answer.text)
    assert f'aria-describedby="{field}-hint {field}-error"' in answer.text or (
        f'aria-describedby="{field}-error"' in answer.text
    )
    assert "<script>" not in answer.text.split("<main", 1)[1]
    assert css_of(app) == before
    assert site_row(app).accent == "#7a1f5c"


def test_hostile_values_never_reach_css_even_from_a_row_edited_by_hand(app, admin):
    for name in ("accent", "text_colour", "font", "radius", "corner", "launcher_label"):
        admin.post(f"/console/sites/{DEMO_SITE}/theme", data={**VALID, name: HOSTILE})
    for css in css_of(app).values():
        assert_only_tokens(css)
    with app.app_context(), db.session() as s:
        s.execute(
            update(Site)
            .where(Site.key == DEMO_SITE)
            .values(accent=HOSTILE, text_colour=HOSTILE, font=HOSTILE, radius=99, corner=HOSTILE)
        )
        s.commit()
    settings_changes.changed()  # what a hand edit reaches within MAX_AGE
    css = css_of(app)
    for sheet in css.values():
        assert_only_tokens(sheet)
    assert custom_properties(css["pop-up"])["--vt-accent"] == themes.Theme().accent
    # A preview asked for with hostile tokens draws nothing.
    query = urlencode({**VALID, "accent": HOSTILE})
    assert admin.get(f"/console/sites/{DEMO_SITE}/preview/theme.css?{query}").status_code == 400
    assert admin.get(f"/console/sites/{DEMO_SITE}/preview/page?{query}").status_code == 400
    fragment = admin.get(f"/console/sites/{DEMO_SITE}/preview?{query}").text
    assert "Het voorbeeld toont het opgeslagen thema" in fragment
    src = re.search(r'src="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    shown = parse_qs(urlsplit(src).query)
    assert shown["accent"] == [themes.Theme().accent] and shown["font"] == ["system"]
    assert shown["launcher_label"] == [HOSTILE]  # the saved words: text in a URL, escaped


# ---- the preview -----------------------------------------------------------------------------


def test_a_preview_under_way_when_save_is_pressed_does_not_swallow_the_saved_message(app, admin):
    # Leaving a changed field sends a preview; pressing "Thema opslaan" right after posts the
    # form. The browser keeps the cookie of whichever answer comes last, and the preview's can
    # (two app processes, CI): it must not carry the session back from before the save.
    sent_with = admin.get_cookie(CONSOLE_COOKIE, path="/console").value
    answer = admin.post(f"/console/sites/{DEMO_SITE}/theme", data=VALID)
    assert answer.status_code == 303
    preview = app.test_client()
    preview.set_cookie(CONSOLE_COOKIE, sent_with, path="/console")
    late = preview.get(f"/console/sites/{DEMO_SITE}/preview?{urlencode(VALID)}")
    assert late.status_code == 200
    if late.headers.getlist("Set-Cookie"):  # a browser keeps the cookie it was given last
        kept = preview.get_cookie(CONSOLE_COOKIE, path="/console").value
        admin.set_cookie(CONSOLE_COOKIE, kept, path="/console")
    assert "Het thema is opgeslagen." in text_of(admin.get(answer.headers["Location"]).text)


def test_the_preview_draws_the_unsaved_theme_and_saves_nothing(app, admin):
    page = admin.get(f"/console/sites/{DEMO_SITE}").text
    form = re.search(r"<form [^>]*hx-get=\"([^\"]+)\"[^>]*>", page).group(0)
    assert 'hx-trigger="change"' in form and 'hx-target="#site-preview"' in form
    assert 'hx-params="not csrf_token"' in form
    assert 'id="site-preview"' in page

    fragment = admin.get(f"/console/sites/{DEMO_SITE}/preview?{urlencode(VALID)}").text
    assert fragment.lstrip().startswith('<div id="site-preview"')
    frame = re.search(r'<iframe id="site-preview-frame"[^>]*src="([^"]+)"', fragment).group(1)
    frame = frame.replace("&amp;", "&")
    framed = admin.get(frame)
    assert framed.status_code == 200
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    assert "Praat met ons" in text_of(framed.text)
    assert 'class="vtchat"' in framed.text and 'class="vt-button"' in framed.text
    sheet = re.search(r'href="(/console/sites/[^"]+/preview/theme\.css[^"]*)"', framed.text)
    css = admin.get(sheet.group(1).replace("&amp;", "&")).text
    assert_only_tokens(css)
    assert custom_properties(css)["--vt-accent"] == "#1d4f91"
    assert custom_properties(css)["--vtchat-accent"] == "#1d4f91"
    assert custom_properties(css)["--vtchat-left"] == "var(--vtchat-offset)"

    assert site_row(app).accent == "#7a1f5c"
    assert custom_properties(css_of(app)["pop-up"])["--vt-accent"] == "#7a1f5c"


def test_the_site_page_shows_the_snippet_to_copy(admin):
    page = admin.get(f"/console/sites/{DEMO_SITE}").text
    snippet = re.search(r'<pre id="site-snippet-code"[^>]*><code>(.*?)</code>', page, re.S)
    assert (
        f"href=&#34;https://localhost/embed/v1/sites/{DEMO_SITE}/launcher.css&#34;"
        in snippet.group(1)
    )
    assert f"src=&#34;https://localhost/w/{DEMO_SITE}&#34;" in snippet.group(1)


# ---- registering sites and their origins -----------------------------------------------------


def register(client, **fields):
    data = {
        "key": "vt-utrecht",
        "name": "Veilig Thuis Utrecht",
        "origins": "https://www.vtu.example\r\nhttps://VTU.example/\r\n\r\nhttps://vtu.example",
        "region": "VT20",
        **fields,
    }
    return client.post("/console/sites", data=data)


def test_an_administrator_registers_a_site_that_every_origin_of_it_may_frame(app, admin):
    answer = register(admin)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sites/vt-utrecht")
    assert "Veilig Thuis Utrecht is aangemeld." in text_of(
        admin.get(answer.headers["Location"]).text
    )
    site = site_row(app, "vt-utrecht")
    assert themes.origins(site.origin) == ["https://www.vtu.example", "https://vtu.example"]
    assert site.region_code == "VT20" and site.accent == themes.Theme().accent

    visitor = app.test_client()
    csp = visitor.get("/w/vt-utrecht").headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.vtu.example https://vtu.example" in csp
    csp = visitor.get("/w/vt-utrecht/transcript").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.vtu.example https://vtu.example" in csp
    assert "vt-utrecht" in admin.get("/console/sites").text


def test_a_changed_origin_list_is_what_the_pop_up_allows_at_once(app, admin):
    assert register(admin).status_code == 303
    answer = admin.post(
        "/console/sites/vt-utrecht/details",
        data={"name": "VT Utrecht", "origins": "https://nieuw.example:8443", "region": "VT20"},
    )
    assert answer.status_code == 303
    csp = app.test_client().get("/w/vt-utrecht").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://nieuw.example:8443")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"key": "VT Utrecht!"}, "key", "Gebruik kleine letters, cijfers en streepjes"),
        ({"key": DEMO_SITE}, "key", "Deze sleutel is al in gebruik: kies een andere."),
        ({"name": ""}, "name", "Geef de site een naam."),
        ({"origins": ""}, "origins", "Vul minstens één origin in"),
        ({"origins": "https://vtu.example/pad"}, "origins", "is geen origin"),
        ({"origins": "javascript:alert(1)"}, "origins", "is geen origin"),
        ({"origins": "https://vtu.example; script-src *"}, "origins", "is geen origin"),
        ({"origins": "https://vtu.example 'unsafe-inline'"}, "origins", "is geen origin"),
        ({"origins": "https://vtu.example:99999"}, "origins", "is geen origin"),
        (
            {"origins": "\n".join(f"https://s{n}.example" for n in range(11))},
            "origins",
            "Hoogstens 10 origins.",
        ),
        ({"region": "XX"}, "region", "Kies een regio uit de lijst."),
    ],
)
def test_a_bad_site_is_refused_beside_its_field(app, admin, fields, field, words):
    answer = register(admin, **fields)
    assert answer.status_code == 400
    error = re.search(
        rf'<span class="console-error" id="{field}-error">([^<]*)</span>', answer.text
    )
    assert error and words in error.group(1), text_of(answer.text)
    assert site_row(app, "vt-utrecht") is None


# ---- who may ---------------------------------------------------------------------------------


def test_a_worker_may_not_manage_sites(app, worker):
    assert worker.get("/console/sites").status_code == 403
    assert worker.get(f"/console/sites/{DEMO_SITE}").status_code == 403
    assert worker.get(f"/console/sites/{DEMO_SITE}/preview?{urlencode(VALID)}").status_code == 403
    assert worker.post(f"/console/sites/{DEMO_SITE}/theme", data=VALID).status_code == 403
    assert register(worker).status_code == 403
    assert "Sites" not in text_of(worker.get("/console/").text)
    assert site_row(app).accent == "#7a1f5c"


def test_a_coordinator_manages_the_sites_of_their_regions_only(app, coordinator):
    assert "Sites" in text_of(coordinator.get("/console/").text)
    listed = text_of(coordinator.get("/console/sites").text)
    assert "Veilig Thuis Utrecht (demo)" in listed
    assert coordinator.post(f"/console/sites/{DEMO_SITE}/theme", data=VALID).status_code == 303

    # A site of another region: not theirs to see or change, nor to register there.
    admin = logged_in_as(app, WorkerRole.ADMIN, "demo2")
    assert register(admin).status_code == 303
    assert coordinator.get("/console/sites/vt-utrecht").status_code == 404
    assert coordinator.post("/console/sites/vt-utrecht/theme", data=VALID).status_code == 404
    assert "vt-utrecht" not in coordinator.get("/console/sites").text
    refused = register(coordinator, key="vt-elders")
    assert refused.status_code == 400 and "Kies een regio uit de lijst." in refused.text
    assert register(coordinator, key="vt-demo-2", region="DEMO").status_code == 303


def test_a_coordinator_whose_region_a_site_leaves_loses_it(app, coordinator):
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.username == "demo").values(region_code="VT20"))
        s.commit()
    assert coordinator.get(f"/console/sites/{DEMO_SITE}").status_code == 404


def test_saving_needs_the_forms_token(app, admin):
    answer = admin.post(f"/console/sites/{DEMO_SITE}/theme", data={**VALID, "csrf_token": ""})
    assert answer.headers["Location"].endswith("/console/")  # "this form had expired"
    assert site_row(app).accent == "#7a1f5c"
    answer = register(admin, csrf_token="")
    assert answer.headers["Location"].endswith("/console/")
    assert site_row(app, "vt-utrecht") is None


def test_the_snippet_pages_say_where_it_goes_in_words_not_markup(admin):
    for page in (
        admin.get(f"/console/sites/{DEMO_SITE}"),
        admin.get(f"/embed/snippet/{DEMO_SITE}"),
    ):
        assert "vlak voor &lt;/body&gt;." in page.text
