"""Pages for areas, grids and grid adjustments.

Every queryset starts from ``Model.objects.restrict(request.user, ...)``: an object
outside the user's scope answers 404 exactly like a missing one. Every change goes
through :mod:`gridgov.areas.actions`; the views only translate between HTTP and actions.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.db.models.functions import Substr
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import can
from gridgov.areas import actions
from gridgov.areas.choices import AdjustmentStatus, AreaLevel, GridStatus
from gridgov.areas.filters import AdjustmentFilterForm, GridFilterForm
from gridgov.areas.forms import AdjustmentForm, ApproveForm, RejectForm, add_action_errors
from gridgov.areas.models import Area, Grid, GridAdjustment, GridAdjustmentItem
from gridgov.core.exceptions import ActionError
from gridgov.core.geo import from_geojson, to_geojson

PAGE_SIZE = 50
# The map shows single grids from this zoom level on; below it, area outlines.
GRID_MIN_ZOOM = 12
# At most this many grids per map request; the map asks the user to zoom in beyond it.
GRID_LIMIT = 3000
# Outlines are simplified to about 100 m: plenty for a city-wide view, a fraction of the bytes.
OUTLINE_TOLERANCE_DEG = 0.001
OUTLINE_CACHE_SECONDS = 600


def _visible_grids(request):
    return Grid.objects.restrict(request.user, "view")


def _visible_areas(request):
    return Area.objects.restrict(request.user, "view")


def _tiles() -> dict:
    """The optional tile server for the small maps (empty: outlines only)."""
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _bounds(queryset) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the bounding boxes in ``queryset``, for Leaflet."""
    box = queryset.aggregate(w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
    if box["w"] is None:
        return None
    return [[box["s"], box["w"]], [box["n"], box["e"]]]


# The map ------------------------------------------------------------------------------


@login_required
def grid_map(request):
    areas = _visible_areas(request)
    grids = _visible_grids(request)
    focus_grid = ""
    bounds = None
    # ?grid=… or ?area=… opens the map on that grid or area (links from other pages).
    if request.GET.get("grid"):
        grid = grids.filter(code=request.GET["grid"]).first()
        if grid is not None:
            focus_grid = grid.code
            bounds = _bounds(grids.filter(pk=grid.pk))
    elif request.GET.get("area"):
        bounds = _bounds(areas.filter(code=request.GET["area"], min_lon__isnull=False))
    # Otherwise the user's own grids: the whole city for city staff, one grid for a grid
    # worker; before any grids exist, the counties they see.
    if bounds is None:
        bounds = _bounds(grids.filter(status=GridStatus.ACTIVE))
    if bounds is None:
        bounds = _bounds(areas.filter(level__lte=AreaLevel.COUNTY, min_lon__isnull=False))
    config = {
        "bounds": bounds,
        "focusGrid": focus_grid,
        "gridMinZoom": GRID_MIN_ZOOM,
        "gridLimit": GRID_LIMIT,
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "urls": {
            "geojson": reverse("api:grids_geojson"),
            "locate": reverse("api:locate"),
            "outlines": reverse("areas:outlines"),
            "panel": reverse("areas:grid_panel", args=["000000000000000"]),
        },
        "text": {
            "outside": _("不在本市管辖范围内"),
            "badInput": _("请输入“经度,纬度”，例如 108.62,21.95"),
            "loading": _("正在加载网格……"),
            "zoomIn": _("放大地图以显示网格"),
            "truncated": _("网格较多，只显示了一部分，请放大地图"),
            "noGrid": _("该位置不在任何网格内"),
            "atSea": _("海上，无属地网格"),
            "outOfScope": _("该位置不在您的管辖范围内"),
            "notFound": _("该网格不存在或不在您的管辖范围内"),
            "failed": _("加载失败，请稍后重试"),
            "village": _("村（社区）"),
            "town": _("镇（街道）"),
            "county": _("县（区）"),
            "exclusive": _("专属网格"),
        },
    }
    return render(request, "areas/map.html", {"map_config": config})


@login_required
def grid_panel(request, code):
    """The small card shown when a grid is clicked on the map (an htmx fragment)."""
    grid = get_object_or_404(
        _visible_grids(request).select_related("village__parent__parent", "department"),
        code=code,
    )
    return render(request, "areas/_grid_panel.html", {"grid": grid})


@login_required
@cache_control(private=True, max_age=OUTLINE_CACHE_SECONDS)
def area_outlines(request):
    """Simplified county (with their sea areas) or town outlines as GeoJSON."""
    try:
        level = int(request.GET.get("level", AreaLevel.COUNTY))
    except ValueError:
        level = 0
    if level not in (AreaLevel.COUNTY, AreaLevel.TOWN):
        raise Http404
    visible = set(
        _visible_areas(request)
        .filter(level=level, min_lon__isnull=False)
        .values_list("code", flat=True)
    )
    features = [f for f in _outline_features(level) if f["properties"]["code"] in visible]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _outline_features(level: int) -> list[dict]:
    """Simplified features of every area of ``level``, cached for all users.

    The scope filter is applied afterwards, per request, so one cache entry serves
    everybody. Areas have no change timestamp; the count and the highest id change when
    the loader adds or replaces areas, and the timeout covers boundary edits in place.
    """
    rows = Area.objects.filter(level=level, min_lon__isnull=False)
    stamp = rows.aggregate(n=Count("id"), m=Max("id"))
    key = f"areas:outlines:{level}:{stamp['n']}:{stamp['m']}"
    features = cache.get(key)
    if features is None:
        features = []
        for code, name, geometry, sea in rows.order_by("code").values_list(
            "code", "name", "geometry", "sea_geometry"
        ):
            props = {"code": code, "name": name, "level": level}
            features.append(_simplified(geometry, {**props, "sea": False}))
            if sea:
                features.append(_simplified(sea, {**props, "sea": True}))
        cache.set(key, features, OUTLINE_CACHE_SECONDS)
    return features


def _simplified(geometry: dict, properties: dict) -> dict:
    shape = from_geojson(geometry).simplify(OUTLINE_TOLERANCE_DEG)
    return {"type": "Feature", "properties": properties, "geometry": to_geojson(shape, 5)}


# The area tree ------------------------------------------------------------------------


def _tree_nodes(request, areas) -> list[dict]:
    """Areas with the number of active grids and of child areas under each."""
    areas = list(areas)
    if not areas:
        return []
    prefix_len = len(areas[0].code)
    parent_prefix = areas[0].code[: {4: 0, 6: 4, 9: 6, 12: 9}[prefix_len]]
    grid_counts = dict(
        _visible_grids(request)
        .filter(status=GridStatus.ACTIVE, code__startswith=parent_prefix)
        .annotate(prefix=Substr("code", 1, prefix_len))
        .values_list("prefix")
        .annotate(n=Count("id"))
        .values_list("prefix", "n")
    )
    child_counts = dict(
        _visible_areas(request)
        .filter(parent__in=areas)
        .values_list("parent__code")
        .annotate(n=Count("id"))
        .values_list("parent__code", "n")
    )
    # "提出调整" only where the user's post lets them propose (the town's own agency).
    proposable = set()
    if areas[0].level == AreaLevel.TOWN:
        proposable = set(
            _proposable_towns(request)
            .filter(pk__in=[a.pk for a in areas])
            .values_list("code", flat=True)
        )
    return [
        {
            "area": a,
            "grids": grid_counts.get(a.code, 0),
            "children": child_counts.get(a.code, 0),
            "can_propose": a.code in proposable,
        }
        for a in areas
    ]


def _proposable_towns(request):
    return Area.objects.restrict(request.user, "propose").filter(level=AreaLevel.TOWN)


@login_required
def area_tree(request):
    visible = _visible_areas(request)
    # The top of the tree is the highest level the user sees: the city for city staff.
    top = visible.aggregate(level=Min("level"))["level"]
    roots = visible.filter(level=top).order_by("code") if top else visible.none()
    nodes = _tree_nodes(request, roots)
    # Open the first level so the page is not a single line.
    for node in nodes:
        node["child_nodes"] = _tree_nodes(request, visible.filter(parent=node["area"]))
    return render(request, "areas/tree.html", {"nodes": nodes})


@login_required
def tree_children(request, code):
    """The children of one area (an htmx fragment, loaded when the node is opened)."""
    visible = _visible_areas(request)
    area = get_object_or_404(visible, code=code)
    nodes = _tree_nodes(request, visible.filter(parent=area).order_by("code"))
    return render(request, "areas/_tree_nodes.html", {"nodes": nodes, "parent": area})


# Grids --------------------------------------------------------------------------------


@login_required
def grid_list(request):
    filters = GridFilterForm(request.GET, user=request.user)
    grids = filters.filter(
        _visible_grids(request).select_related("village__parent").defer("geometry")
    ).order_by("code")
    page = Paginator(grids, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "areas/grid_list.html", {"filters": filters, "page": page})


@login_required
def grid_detail(request, code):
    grid = get_object_or_404(
        _visible_grids(request).select_related(
            "village__parent__parent",
            "department",
            "created_by_adjustment",
            "retired_by_adjustment",
        ),
        code=code,
    )
    events = list(grid.events.select_related("adjustment", "actor").order_by("at", "id"))
    # Adjustment numbers are links only for those who may open the adjustment.
    numbers = {e.adjustment.number for e in events if e.adjustment}
    numbers |= {a.number for a in (grid.created_by_adjustment, grid.retired_by_adjustment) if a}
    linkable = set(
        _visible_adjustments(request).filter(number__in=numbers).values_list("number", flat=True)
    )
    shape = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": grid.code,
                    "kind": grid.kind,
                    "subject": grid.subject,
                    "role": "retired" if grid.status == GridStatus.RETIRED else "grid",
                },
                "geometry": grid.geometry,
            }
        ],
    }
    return render(
        request,
        "areas/grid_detail.html",
        {
            "grid": grid,
            "events": events,
            "shape": shape,
            "map_tiles": _tiles(),
            "linkable": linkable,
        },
    )


# Adjustments --------------------------------------------------------------------------


def _visible_adjustments(request):
    return GridAdjustment.objects.restrict(request.user, "view")


@login_required
def adjustment_list(request):
    filters = AdjustmentFilterForm(request.GET)
    adjustments = filters.filter(
        _visible_adjustments(request).select_related("town__parent").defer("reason")
    ).order_by("-proposed_at", "-id")
    page = Paginator(adjustments, PAGE_SIZE).get_page(request.GET.get("page"))
    # Counted for the page only: a join over every item of every adjustment is slow.
    ids = [a.pk for a in page]
    n_items = dict(
        GridAdjustmentItem.objects.filter(adjustment_id__in=ids)
        .values_list("adjustment_id")
        .annotate(n=Count("id"))
        .values_list("adjustment_id", "n")
    )
    n_old = dict(
        GridAdjustment.old_grids.through.objects.filter(gridadjustment_id__in=ids)
        .values_list("gridadjustment_id")
        .annotate(n=Count("id"))
        .values_list("gridadjustment_id", "n")
    )
    for adjustment in page:
        adjustment.n_items = n_items.get(adjustment.pk, 0)
        adjustment.n_old = n_old.get(adjustment.pk, 0)
    context = {
        "filters": filters,
        "page": page,
        "can_propose": _proposable_towns(request).exists(),
    }
    return render(request, "areas/adjustment_list.html", context)


@login_required
def adjustment_create(request):
    form = AdjustmentForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"town": _town_pk(request, request.GET.get("town"))},
    )
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = actions.do_propose_adjustment(
                **form.action_kwargs(), actor=request.user, source="web"
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("已提出网格调整 %(number)s，待县级审批") % {"number": adjustment.number}
            )
            return redirect("areas:adjustment_detail", number=adjustment.number)
    can_propose = form.fields["town"].queryset.exists()
    return render(request, "areas/adjustment_form.html", {"form": form, "can_propose": can_propose})


def _town_pk(request, code):
    """The proposal form's town from ``?town=<code>`` (links on the area tree)."""
    if not code:
        return None
    towns = Area.objects.restrict(request.user, "propose").filter(level=AreaLevel.TOWN)
    return towns.filter(code=code).values_list("pk", flat=True).first()


def _adjustment_page(request, adjustment, *, approve_form=None, reject_form=None):
    items = list(adjustment.items.select_related("village", "redraw_of", "result", "department"))
    old_grids = list(adjustment.old_grids.select_related("village").order_by("code"))
    features = [
        {
            "type": "Feature",
            "properties": {"code": g.code, "label": f"{g.code} {g.name}", "role": "old"},
            "geometry": g.geometry,
        }
        for g in old_grids
    ] + [
        {
            "type": "Feature",
            "properties": {
                "label": item.name or (item.result.code if item.result else ""),
                "kind": item.kind,
                "subject": item.subject,
                "role": "new",
            },
            "geometry": item.geometry,
        }
        for item in items
    ]
    open_ = adjustment.status == AdjustmentStatus.PROPOSED
    approve_form = approve_form or ApproveForm()
    reject_form = reject_form or RejectForm()
    context = {
        "adjustment": adjustment,
        "items": items,
        "old_grids": old_grids,
        "shape": {"type": "FeatureCollection", "features": features},
        "map_tiles": _tiles(),
        "can_decide": open_ and can(request.user, "approve", adjustment),
        # A refused decision is shown with its form even if the buttons are gone now.
        "show_decision": bool(approve_form.errors or reject_form.errors),
        "can_withdraw": open_ and can(request.user, "propose", adjustment.town),
        "approve_form": approve_form,
        "reject_form": reject_form,
    }
    return render(request, "areas/adjustment_detail.html", context)


def _get_adjustment(request, number):
    return get_object_or_404(
        _visible_adjustments(request).select_related("town__parent", "proposed_by", "decided_by"),
        number=number,
    )


@login_required
def adjustment_detail(request, number):
    return _adjustment_page(request, _get_adjustment(request, number))


def _decide(request, adjustment, form, decide, success, *, form_name):
    """Run a decision on ``adjustment``; its refusal is shown with the form or as a message."""
    if form.is_valid():
        try:
            decide(form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            # Decided meanwhile, not permitted: nothing to correct in the form.
            messages.error(request, exc.message)
            return redirect("areas:adjustment_detail", number=adjustment.number)
        else:
            messages.success(request, success() % {"number": adjustment.number})
            return redirect("areas:adjustment_detail", number=adjustment.number)
    return _adjustment_page(request, adjustment, **{form_name: form})


@login_required
@require_POST
def adjustment_approve(request, number):
    adjustment = _get_adjustment(request, number)
    return _decide(
        request,
        adjustment,
        ApproveForm(request.POST),
        lambda data: actions.do_approve_adjustment(
            adjustment,
            actor=request.user,
            note=data["note"],
            effective_date=data["effective_date"],
        ),
        lambda: _("已批准网格调整 %(number)s，已报市网格化服务管理机构备案"),
        form_name="approve_form",
    )


@login_required
@require_POST
def adjustment_reject(request, number):
    adjustment = _get_adjustment(request, number)
    return _decide(
        request,
        adjustment,
        RejectForm(request.POST),
        lambda data: actions.do_reject_adjustment(
            adjustment, actor=request.user, note=data["note"]
        ),
        lambda: _("已驳回网格调整 %(number)s"),
        form_name="reject_form",
    )


@login_required
@require_POST
def adjustment_withdraw(request, number):
    adjustment = _get_adjustment(request, number)
    try:
        actions.do_withdraw_adjustment(adjustment, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回网格调整 %(number)s") % {"number": adjustment.number})
    return redirect("areas:adjustment_detail", number=adjustment.number)
