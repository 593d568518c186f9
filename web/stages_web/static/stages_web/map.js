/* Optional map of the search results (a progressive enhancement: the list above is the content).
   Shown only when the site is configured with a tile server (STAGES_WEB_MAP_TILES_URL). */
(function () {
  "use strict";
  var box = document.getElementById("carte");
  var data = document.getElementById("offres-carte");
  if (!box || !data || !window.L) return;
  var offers = JSON.parse(data.textContent).filter(function (o) { return o.lat !== null && o.lon !== null; });
  if (!offers.length) { box.hidden = true; return; }
  box.hidden = false;
  var map = L.map(box, { scrollWheelZoom: false });
  L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 18, attribution: box.getAttribute("data-attribution") || ""
  }).addTo(map);
  var bounds = [];
  offers.forEach(function (o) {
    var marker = L.marker([o.lat, o.lon], { title: o.title, alt: o.title, keyboard: true }).addTo(map);
    var link = document.createElement("a");
    link.href = o.url;
    link.textContent = o.title;
    marker.bindPopup(link);
    bounds.push([o.lat, o.lon]);
  });
  map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
})();
