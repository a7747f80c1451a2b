/* dudao region and school pages: draws the Plotly figures that the page embeds as JSON.
   <div class="chart" data-fig="ID"> takes its figure from <script type="application/json" id="ID">.
   A figure with "link": true opens the URL in a clicked point's customdata (map: a county; bars: a prefecture). */
(function () {
  "use strict";
  function draw(el) {
    var holder = document.getElementById(el.getAttribute("data-fig"));
    if (!holder || typeof Plotly === "undefined") { return; }
    var spec = JSON.parse(holder.textContent);
    var config = { displayModeBar: false, responsive: true, scrollZoom: false,
                   topojsonURL: el.getAttribute("data-topojson") || undefined };
    Plotly.newPlot(el, spec.data, spec.layout, config).then(function () {
      el.classList.add("drawn");
      if (!spec.link) { return; }
      el.on("plotly_click", function (ev) {
        var p = ev && ev.points && ev.points[0];
        if (p && typeof p.customdata === "string" && p.customdata) { window.location.href = p.customdata; }
      });
    });
  }
  // A choropleth drawn from our own GeoJSON needs no world basemap (every base layer is hidden), but
  // plotly.js still asks for one and would fetch it from its CDN: give it an empty topology instead.
  if (typeof Plotly !== "undefined") {
    window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
    var topo = window.PlotlyGeoAssets.topojson;
    ["world_110m", "world_50m"].forEach(function (name) {
      if (!topo[name]) { topo[name] = { type: "Topology", objects: {}, arcs: [] }; }
    });
  }
  var charts = document.querySelectorAll("[data-fig]");
  for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
})();
