"""Sites for web teams: register a site, set the origins that may show its pop-up and its
theme, copy its snippet, and see the theme in a preview before saving it.

An administrator manages every site, a coordinator the sites whose default region is one of
theirs; a worker none. The preview is drawn on the server from the tokens in its URL.
"""

from types import SimpleNamespace

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from backend import embed, regions, sites, staffing, themes
from backend.console import bp
from backend.console.auth import login_required
from backend.console.site_forms import DetailsForm, SiteForm, ThemeForm
from backend.models import Site, WorkerRole


def _manager() -> list[str]:
    """The region codes whose sites this person manages; 403 for a worker."""
    if g.worker.role == WorkerRole.WORKER:
        abort(403)
    return staffing.regions_of(g.worker)


def _site(key: str) -> Site:
    """A site this person manages: 403 for a worker, 404 for one outside their regions."""
    codes = _manager()
    site = sites.get(key)
    if site is None or site.region_code not in codes:
        abort(404)
    return site


def _region_choices(codes: list[str]) -> list[SelectChoice]:
    return [
        SelectChoice(r.code, r.name)
        for r in regions.all_regions(include_demo=True)
        if r.code in codes
    ]


def _list_page(form: SiteForm, status: int = 200):
    codes = _manager()
    names = {choice.value: choice.label for choice in _region_choices(codes)}
    return render_template(
        "console/sites.html",
        worker=g.worker,
        shown=[(site, names.get(site.region_code, "")) for site in sites.listed(codes)],
        form=form,
    ), status


@bp.get("/sites")
@login_required
def sites_page():
    """The sites this person manages, and the form to register one."""
    form = SiteForm(formdata=None)
    form.region.choices = _region_choices(_manager())
    return _list_page(form)


@bp.post("/sites")
@login_required
def register_site():
    """A new site, with the default theme; its page comes next."""
    form = SiteForm()
    form.region.choices = _region_choices(_manager())
    if not form.validate_on_submit():
        return _list_page(form, 400)
    site = sites.register(form.key.data, form.name.data, form.value, form.region.data)
    if site is None:
        form.key.errors.append(_("This key is taken: choose another."))
        return _list_page(form, 400)
    flash(_("%(site)s is registered.", site=site.name))
    return redirect(url_for("console.site_page", key=site.key), 303)


def _site_page(site: Site, status: int = 200, **forms):
    details = DetailsForm(formdata=None, name=site.name, region=site.region_code)
    details.origins.data = "\n".join(themes.origins(site.origin))
    details.region.choices = _region_choices(_manager())
    theme = ThemeForm(formdata=None, obj=site)
    theme.radius.data = str(site.radius)
    context = {"details_form": details, "theme_form": theme, **forms}
    return render_template(
        "console/site.html",
        worker=g.worker,
        snippet=render_template("embed/_snippet.html", **embed.snippet_context(site)),
        **_preview_context(site, themes.Theme.of(site), site.launcher_label),
        **context,
    ), status


def _preview_context(site: Site, theme: themes.Theme, label: str) -> dict:
    """What the preview's frame is drawn from: the tokens and the launcher's own words."""
    return {"site": site, "query": {**theme.query(), "launcher_label": label}}


@bp.get("/sites/<key>")
@login_required
def site_page(key):
    """One site: its origins and region, its theme with a preview, and its snippet."""
    return _site_page(_site(key))


@bp.post("/sites/<key>/details")
@login_required
def save_site_details(key):
    """A site's name, origins and default region."""
    site = _site(key)
    form = DetailsForm()
    form.region.choices = _region_choices(_manager())
    if not form.validate_on_submit():
        return _site_page(site, 400, details_form=form)
    sites.change(site.key, name=form.name.data, origins=form.value, region_code=form.region.data)
    flash(_("The site is saved."))
    return redirect(url_for("console.site_page", key=site.key), 303)


@bp.post("/sites/<key>/theme")
@login_required
def save_site_theme(key):
    """A site's theme: the pop-up and the launcher follow within minutes."""
    site = _site(key)
    form = ThemeForm()
    if not form.validate_on_submit():
        return _site_page(site, 400, theme_form=form)
    sites.change(site.key, **form.tokens)
    flash(_("The theme is saved."))
    return redirect(url_for("console.site_page", key=site.key), 303)


def _previewed() -> tuple[themes.Theme, str] | None:
    """The theme and the launcher's words in the query, if valid; nothing is saved."""
    form = ThemeForm(formdata=request.args, meta={"csrf": False})
    if not form.validate():
        return None
    tokens = form.tokens
    return themes.Theme.of(SimpleNamespace(**tokens)), tokens["launcher_label"]


@bp.get("/sites/<key>/preview")
@login_required
def site_preview(key):
    """The preview of the theme as the form has it now, unsaved (htmx, on every change)."""
    site = _site(key)
    previewed = _previewed()
    if previewed is None:
        shown = _preview_context(site, themes.Theme.of(site), site.launcher_label)
        return render_template("console/_site_preview.html", refused=True, **shown)
    return render_template("console/_site_preview.html", **_preview_context(site, *previewed))


@bp.get("/sites/<key>/preview/page")
@login_required
def site_preview_page(key):
    """The launcher and the pop-up drawn with the theme in the query (the preview's frame)."""
    site = _site(key)
    previewed = _previewed()
    if previewed is None:
        abort(400)
    g.frame_ancestors = "'self'"  # the site's console page frames it
    theme, label = previewed
    return render_template(
        "console/site_preview.html",
        label=label or _("Chat with Veilig Thuis"),
        **_preview_context(site, theme, label),
    )


@bp.get("/sites/<key>/preview/theme.css")
@login_required
def site_preview_css(key):
    """The tokens in the query as CSS custom properties, for the preview's frame."""
    _site(key)
    previewed = _previewed()
    if previewed is None:
        abort(400)
    response = make_response(render_template("console/site_preview.css", theme=previewed[0]))
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return response
