/* Case pages: the small maps (a case's point; picking a point for a new case), the
 * device's location, and forms that submit once. No inline code: the CSP allows scripts
 * only from files. */
(function () {
  "use strict";

  var AREA_STYLE = { color: "#495057", weight: 1.5, fillColor: "#f8f5ee", fillOpacity: 0.6 };
  var SEA_STYLE = { stroke: false, fillColor: "#d0ebff", fillOpacity: 0.7 };
  var POINT_STYLE = { radius: 8, color: "#c92a2a", weight: 3, fillColor: "#fa5252", fillOpacity: 0.9 };

  function shapeStyle(feature) {
    var props = feature.properties || {};
    if (props.sea) return SEA_STYLE;
    if (props.level) return AREA_STYLE;
    return window.GridGov ? GridGov.gridStyle(feature) : AREA_STYLE;
  }

  function fixed(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function initMap(el) {
    var config = GridGov.readJson(el.getAttribute("data-case-map"));
    if (!config) return;
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: !!config.tileUrl });
    GridGov.addTiles(map, config.tileUrl, config.tileAttribution);
    var shapes = L.geoJSON(config.shapes, { style: shapeStyle, interactive: false });
    var marker = null;

    function place(lon, lat) {
      var at = L.latLng(lat, lon);
      if (marker) marker.setLatLng(at);
      else marker = L.circleMarker(at, POINT_STYLE).addTo(map);
      return at;
    }

    // The view first: Leaflet cannot draw vector layers on a map without one.
    if (shapes.getLayers().length) {
      var bounds = shapes.getBounds();
      if (config.point) bounds.extend([config.point[1], config.point[0]]);
      map.fitBounds(bounds, { padding: [8, 8], maxZoom: 17 });
    } else if (config.point) {
      map.setView([config.point[1], config.point[0]], 16);
    } else {
      map.setView([21.95, 108.62], 9);
    }
    shapes.addTo(map);
    if (config.point) place(config.point[0], config.point[1]);

    if (!el.hasAttribute("data-picker")) return;
    var lonInput = document.querySelector(el.getAttribute("data-lon"));
    var latInput = document.querySelector(el.getAttribute("data-lat"));
    window.caseMap = map; // browser tests compute pixel positions with it

    function fromInputs() {
      var lon = parseFloat(lonInput.value);
      var lat = parseFloat(latInput.value);
      if (isFinite(lon) && isFinite(lat)) {
        var at = place(lon, lat);
        if (!map.getBounds().contains(at)) map.setView(at, Math.max(map.getZoom(), 14));
      }
    }

    map.on("click", function (event) {
      lonInput.value = fixed(event.latlng.lng);
      latInput.value = fixed(event.latlng.lat);
      place(event.latlng.lng, event.latlng.lat);
    });
    lonInput.addEventListener("change", fromInputs);
    latInput.addEventListener("change", fromInputs);
    fromInputs();
    el.caseMap = map;
  }

  document.querySelectorAll("[data-case-map]").forEach(initMap);

  // 使用当前位置: the phone's location (GPS) fills the point.
  document.querySelectorAll("[data-geolocate]").forEach(function (button) {
    var status = button.parentElement.querySelector("[data-geolocate-status]");
    var picker = document.querySelector("[data-picker]");
    var text = picker ? GridGov.readJson(picker.getAttribute("data-case-map")).text : {};
    function say(message) {
      if (status) status.textContent = message || "";
    }
    button.addEventListener("click", function () {
      if (!navigator.geolocation) {
        say(text.unsupported);
        return;
      }
      say(text.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var lon = document.querySelector(button.getAttribute("data-lon"));
          var lat = document.querySelector(button.getAttribute("data-lat"));
          lon.value = fixed(position.coords.longitude);
          lat.value = fixed(position.coords.latitude);
          lon.dispatchEvent(new Event("change"));
          lat.dispatchEvent(new Event("change"));
          say(text.located);
        },
        function () {
          say(text.denied);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });

  // A form marked data-submit-once disables its buttons once it is really on its way (a
  // second tap does nothing; the server also refuses a repeated submission key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    window.setTimeout(function () {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
})();
