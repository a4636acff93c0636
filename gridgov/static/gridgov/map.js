/* The city grid map: county and town outlines at low zoom, the grids of the viewport when
 * zoomed in, a panel for the clicked grid and a 定位 box. Works without any tile server. */
(function () {
  "use strict";

  var el = document.getElementById("grid-map");
  if (!el) return;
  var config = GridGov.readJson("map-config");
  var text = config.text;
  var statusEl = document.getElementById("map-status");
  var panel = document.getElementById("map-panel");
  var panelBody = document.getElementById("map-panel-body");

  // One canvas for everything: about 6,000 grids city-wide are too many for SVG, and a
  // single renderer keeps the drawing order (sea, counties, towns, grids) under our control.
  var renderer = L.canvas({ padding: 0.3, tolerance: 4 });
  var map = L.map(el, { preferCanvas: true, renderer: renderer, minZoom: 5, maxZoom: 18 });
  window.gridMap = map; // browser tests compute pixel positions with it

  var tiles = GridGov.addTiles(map, config.tileUrl, config.tileAttribution);
  if (!tiles) el.classList.add("no-tiles");
  var opaque = tiles ? 0 : 1; // without tiles the outlines are the base map

  var seaLayer = L.geoJSON(null, {
    renderer: renderer,
    interactive: false,
    filter: function (f) { return f.properties.sea; },
    style: { stroke: false, fillColor: "#d0ebff", fillOpacity: tiles ? 0.25 : opaque },
  }).addTo(map);
  var countyLayer = L.geoJSON(null, {
    renderer: renderer,
    interactive: false,
    filter: function (f) { return !f.properties.sea; },
    style: { color: "#343a40", weight: 2, fillColor: "#f8f5ee", fillOpacity: opaque },
  }).addTo(map);
  var townLayer = L.geoJSON(null, {
    renderer: renderer,
    interactive: false,
    style: { color: "#868e96", weight: 1, dashArray: "4 4", fill: false },
  });
  var gridLayer = L.geoJSON(null, {
    renderer: renderer,
    style: GridGov.gridStyle,
    onEachFeature: function (feature, layer) {
      layer.on("click", function (event) {
        L.DomEvent.stopPropagation(event);
        select(feature.properties.code);
      });
    },
  }).addTo(map);

  var TOWN_MIN_ZOOM = 10;

  // Outlines -------------------------------------------------------------------------

  function loadOutlines(level, onLoad) {
    return fetch(config.urls.outlines + "?level=" + level, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(onLoad)
      .catch(function () { setStatus(text.failed); });
  }

  function restack() {
    if (map.getZoom() >= TOWN_MIN_ZOOM) {
      if (!map.hasLayer(townLayer)) map.addLayer(townLayer);
    } else if (map.hasLayer(townLayer)) {
      map.removeLayer(townLayer);
    }
    // Re-added layers are drawn last; grids must stay on top to be clickable.
    gridLayer.bringToFront();
  }

  // Grids of the viewport ----------------------------------------------------------------

  var loaded = null; // {bounds, complete} of the last grid load
  var pending = null; // AbortController of the request in flight
  var selected = "";

  function setStatus(message) {
    statusEl.textContent = message || "";
    statusEl.hidden = !message;
  }

  function bboxOf(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(5); }).join(",");
  }

  function loadGrids() {
    restack();
    if (map.getZoom() < config.gridMinZoom) {
      if (pending) pending.abort();
      gridLayer.clearLayers();
      loaded = null;
      el.dataset.gridCount = "0";
      setStatus(text.zoomIn);
      return;
    }
    var view = map.getBounds();
    // Nothing to fetch if the last complete answer already covers this view.
    if (loaded && loaded.complete && loaded.bounds.contains(view)) return;
    var bounds = view.pad(0.25);
    if (pending) pending.abort();
    pending = new AbortController();
    setStatus(text.loading);
    el.dataset.gridsLoading = "1";
    var url = config.urls.geojson + "?limit=" + config.gridLimit + "&bbox=" + bboxOf(bounds);
    fetch(url, { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        pending = null;
        var n = data.features.length;
        gridLayer.clearLayers();
        gridLayer.addData(data);
        highlight();
        loaded = { bounds: bounds, complete: n < config.gridLimit };
        el.dataset.gridCount = String(n);
        delete el.dataset.gridsLoading;
        setStatus(loaded.complete ? "" : text.truncated);
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        delete el.dataset.gridsLoading;
        setStatus(text.failed);
      });
  }

  // The panel ------------------------------------------------------------------------------

  function highlight() {
    gridLayer.eachLayer(function (layer) {
      var mine = layer.feature.properties.code === selected;
      layer.setStyle(mine ? { weight: 4, color: "#212529", fillOpacity: 0.35 } : GridGov.gridStyle(layer.feature));
      if (mine) layer.bringToFront();
    });
  }

  function openPanel() {
    panel.hidden = false;
    el.classList.add("with-panel");
  }

  function select(code) {
    selected = code;
    highlight();
    openPanel();
    var url = config.urls.panel.replace("000000000000000", encodeURIComponent(code));
    return htmx.ajax("GET", url, { target: "#map-panel-body", swap: "innerHTML" });
  }

  // A grid that went away (or out of scope) since the map was drawn.
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.target && event.detail.target.id === "map-panel-body") showText([text.notFound], "text-danger");
  });

  document.getElementById("map-panel-close").addEventListener("click", function () {
    panel.hidden = true;
    selected = "";
    highlight();
  });

  // 定位 ------------------------------------------------------------------------------------

  var marker = null;

  function parseLonLat(value) {
    var parts = value.trim().split(/[\s,，;；]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || parts.some(isNaN)) return null;
    var lon = parts[0], lat = parts[1];
    // People often type 纬度,经度; in China a longitude is always above 70 and a latitude below 60.
    if (Math.abs(lon) < 60 && Math.abs(lat) > 70) { var t = lon; lon = lat; lat = t; }
    if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
    return { lon: lon, lat: lat };
  }

  function showText(lines, tone) {
    panelBody.replaceChildren();
    lines.forEach(function (line, i) {
      var p = document.createElement("p");
      p.className = i === 0 ? "fw-semibold mb-1 " + (tone || "") : "mb-1";
      p.textContent = line;
      panelBody.appendChild(p);
    });
    openPanel();
  }

  var locateForm = document.getElementById("locate-form");
  locateForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var point = parseLonLat(locateForm.elements.point.value);
    if (!point) { showText([text.badInput], "text-danger"); return; }
    var url = config.urls.locate + "?lon=" + point.lon + "&lat=" + point.lat;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (found) {
        if (marker) marker.remove();
        marker = L.circleMarker([found.lat, found.lon], {
          renderer: renderer, radius: 7, color: "#fff", weight: 2, fillColor: "#e03131", fillOpacity: 1, interactive: false,
        }).addTo(map);
        map.setView([found.lat, found.lon], Math.max(map.getZoom(), config.gridMinZoom + 2));
        if (!found.inside) { showText([text.outside], "text-danger"); return; }
        if (found.grid) { select(found.grid.code); return; }
        if (found.exclusive && found.exclusive.length) { select(found.exclusive[0].code); return; }
        var lines = [!found.in_scope ? text.outOfScope : found.at_sea ? text.atSea : text.noGrid];
        if (found.village) lines.push(text.village + "：" + found.village.name);
        if (found.town) lines.push(text.town + "：" + found.town.name);
        if (found.county) lines.push(text.county + "：" + found.county.name);
        showText(lines, found.in_scope ? "" : "text-warning");
      })
      .catch(function () { showText([text.failed], "text-danger"); });
  });

  // Start -------------------------------------------------------------------------------------

  // On a phone the legend starts folded: the map is small enough already.
  var legend = document.querySelector(".map-legend");
  if (legend && window.matchMedia("(max-width: 575.98px)").matches) legend.open = false;

  if (config.bounds) {
    map.fitBounds(config.bounds, { padding: [8, 8] });
  } else {
    map.fitWorld();
  }
  loadOutlines(2, function (data) {
    seaLayer.addData(data);
    countyLayer.addData(data);
    // Paths are drawn in the order they were added: push the base map under everything.
    countyLayer.bringToBack();
    seaLayer.bringToBack();
    gridLayer.bringToFront();
  });
  loadOutlines(3, function (data) {
    townLayer.addData(data);
    restack();
  });
  map.on("moveend", loadGrids);
  loadGrids();
  if (config.focusGrid) select(config.focusGrid);
  el.dataset.ready = "1";
})();
