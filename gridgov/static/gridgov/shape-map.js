/* Small maps on detail pages: <div data-shape-map="json-script-id"> shows that GeoJSON. */
(function () {
  "use strict";

  document.querySelectorAll("[data-shape-map]").forEach(function (el) {
    var data = GridGov.readJson(el.getAttribute("data-shape-map"));
    if (!data || !data.features || !data.features.length) return;
    var map = L.map(el, { preferCanvas: true, scrollWheelZoom: false, attributionControl: !!el.dataset.tileUrl });
    GridGov.addTiles(map, el.dataset.tileUrl, el.dataset.tileAttribution);
    var layer = L.geoJSON(data, {
      style: GridGov.gridStyle,
      onEachFeature: function (feature, shape) {
        if (feature.properties && feature.properties.label) {
          shape.bindTooltip(feature.properties.label, { sticky: true });
        }
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
    el.shapeMap = map;
  });
})();
