/* Styles and helpers shared by the city map and the small maps on detail pages. */
(function () {
  "use strict";

  // Colours by grid kind; maritime exclusive grids get a sea colour.
  var COLOURS = {
    urban: "#d9480f",
    rural: "#2b8a3e",
    exclusive: "#7048e8",
    maritime: "#1971c2",
    old: "#c92a2a",
    new: "#1864ab",
    retired: "#868e96",
  };

  function colourOf(props) {
    if (props.role === "old" || props.role === "new" || props.role === "retired") return COLOURS[props.role];
    if (props.kind === "exclusive" && props.subject === "maritime") return COLOURS.maritime;
    return COLOURS[props.kind] || COLOURS.exclusive;
  }

  function gridStyle(feature) {
    var props = feature.properties || {};
    var colour = colourOf(props);
    return {
      color: colour,
      weight: props.kind === "exclusive" ? 1.5 : 1,
      dashArray: props.role === "old" || props.kind === "exclusive" ? "4 3" : null,
      fillColor: colour,
      fillOpacity: props.role === "old" ? 0.08 : 0.22,
    };
  }

  // A configured tile server, or nothing: government networks often have none, so every
  // map must be readable with outlines on a plain background.
  function addTiles(map, url, attribution) {
    if (!url) return null;
    return L.tileLayer(url, { attribution: attribution || "", maxZoom: 18 }).addTo(map);
  }

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  window.GridGov = {
    COLOURS: COLOURS,
    colourOf: colourOf,
    gridStyle: gridStyle,
    addTiles: addTiles,
    readJson: readJson,
  };
})();
