/* Case pages: the small maps (a case's point; picking a point for a new case), the
 * device's location, and forms that submit once. No inline code: the CSP allows scripts
 * only from files. */
(function () {
  "use strict";

  var AREA_STYLE = { color: "#495057", weight: 1.5, fillColor: "#f8f5ee", fillOpacity: 0.6 };
  var SEA_STYLE = { stroke: false, fillColor: "#d0ebff", fillOpacity: 0.7 };
  var POINT_STYLE = { radius: 8, color: "#c92a2a", weight: 3, fillColor: "#fa5252", fillOpacity: 0.9 };
  // A picked point is shown at street level (zoom 16); a click on a map zoomed out below
  // FAR (a county or more on screen) zooms in on it, so that it can be checked and moved.
  var CLOSE = 16;
  var FAR = 14;

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

    function closeUp(at, always) {
      if (always || map.getZoom() < FAR || !map.getBounds().contains(at)) {
        map.setView(at, Math.max(map.getZoom(), CLOSE));
      }
    }

    function fromInputs(always) {
      var lon = parseFloat(lonInput.value);
      var lat = parseFloat(latInput.value);
      if (isFinite(lon) && isFinite(lat)) closeUp(place(lon, lat), always === true);
    }

    map.on("click", function (event) {
      lonInput.value = fixed(event.latlng.lng);
      latInput.value = fixed(event.latlng.lat);
      closeUp(place(event.latlng.lng, event.latlng.lat), false);
    });
    lonInput.addEventListener("change", fromInputs);
    latInput.addEventListener("change", fromInputs);
    // 使用当前位置: always to street level on the device's point.
    el.addEventListener("case:located", function () {
      fromInputs(true);
    });
    if (lonInput.value && latInput.value) {
      // A form shown again with its point (an error elsewhere): that point, close up.
      fromInputs(true);
    }
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
          if (picker) picker.dispatchEvent(new CustomEvent("case:located"));
          say(text.located);
        },
        function () {
          say(text.denied);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });

  // 匿名反映 ticked: the contact is no longer required (the server says the same).
  document.querySelectorAll("[data-contact]").forEach(function (box) {
    var anonymous = box.querySelector("input[type=checkbox][name$='anonymous']");
    if (!anonymous) return;
    function sync() {
      box.classList.toggle("contact-anonymous", anonymous.checked);
      box.querySelectorAll("input[type=text], input[type=tel]").forEach(function (input) {
        input.required = !anonymous.checked;
      });
    }
    anonymous.addEventListener("change", sync);
    sync();
  });

  // After the Back button the browser restores what was chosen in the selects, but not
  // the parts htmx loaded for them (a matter's own fields, a town's villages). Each such
  // part says what it was drawn for (data-for); when that differs from the select, load
  // it again.
  function followers() {
    var pairs = [];
    document.querySelectorAll("select[hx-get][hx-target]").forEach(function (select) {
      var target = document.querySelector(select.getAttribute("hx-target"));
      if (target && target.hasAttribute("data-for")) pairs.push([select, target]);
    });
    return pairs;
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    followers().forEach(function (pair) {
      if (event.detail.target === pair[1]) pair[1].setAttribute("data-for", pair[0].value);
    });
  });
  window.addEventListener("pageshow", function () {
    if (!window.htmx) return;
    followers().forEach(function (pair) {
      if (pair[0].value !== pair[1].getAttribute("data-for")) htmx.trigger(pair[0], "change");
    });
  });

  // A link to one action form of the case page (#act-reply) opens it.
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") target.open = true;
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);

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
