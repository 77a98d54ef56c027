/* Playing a track on a Leaflet map: the GeoJSON Feature the tracking replay builds (a LineString
   with properties.times, epoch seconds per vertex, and properties.events) drawn as a line with its
   events, and a marker moving along it at a chosen speed while the map follows. The one player
   behind the console's technician replay and the portal's order replay (window.GWReplay). */
(() => {
  "use strict";

  function formatDuration(seconds) {
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${s} s`;
  }

  // options: color, markerId (the marker element's id), label(event) for event tooltips,
  // onStop() when playing stops (at the end or when asked).
  function player(map, layer, options = {}) {
    const color = options.color || "#8250df";
    const label = options.label || ((e) => `${e.kind}: ${e.value}`);
    const p = { coords: [], times: [], events: [], t: null, timer: null, marker: null };

    p.load = (feature) => {
      p.stop();
      layer.clearLayers();
      p.coords = feature.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
      p.times = feature.properties.times || [];
      p.events = feature.properties.events || [];
      p.t = null;
      if (p.coords.length) {
        L.polyline(p.coords, { color, weight: 4, className: "replay-line" }).addTo(layer);
        map.fitBounds(L.latLngBounds(p.coords), { padding: [30, 30] });
      }
      for (const e of p.events.filter((e) => e.lat != null)) {
        L.circleMarker([e.lat, e.lon], { radius: 6, color: "#bf8700" }).bindTooltip(label(e)).addTo(layer);
      }
      return p;
    };

    p.playable = () => p.coords.length >= 2;

    p.positionAt = (t) => {
      // Interpolates between the two vertices around track time t.
      const { coords, times } = p;
      const i = times.findIndex((x) => x > t);
      if (i <= 0) return i === 0 ? coords[0] : coords[coords.length - 1];
      const f = (t - times[i - 1]) / (times[i] - times[i - 1]);
      return [coords[i - 1][0] + f * (coords[i][0] - coords[i - 1][0]), coords[i - 1][1] + f * (coords[i][1] - coords[i - 1][1])];
    };

    // speed: a number, or a function read at every step (a select the user may change meanwhile).
    p.play = (speed) => {
      p.stop();
      if (!p.playable()) return;
      const id = options.markerId || "replay-marker";
      const icon = L.divIcon({ className: "", html: `<div class="replay-marker" id="${id}"></div>`, iconSize: [16, 16] });
      p.marker = L.marker(p.coords[0], { icon }).addTo(layer);
      const t0 = p.times[0], wall0 = performance.now();
      p.timer = setInterval(() => {
        const factor = typeof speed === "function" ? speed() : speed;
        const t = t0 + ((performance.now() - wall0) / 1000) * factor;
        const here = p.positionAt(t);
        p.marker.setLatLng(here);
        map.panTo(here, { animate: false }); // the map follows
        p.t = t;
        if (t >= p.times[p.times.length - 1]) p.stop(true);
      }, 100);
    };

    p.stop = (keepMarker) => {
      if (p.timer) clearInterval(p.timer);
      const wasPlaying = p.timer !== null;
      p.timer = null;
      if (!keepMarker && p.marker) { layer.removeLayer(p.marker); p.marker = null; }
      if (wasPlaying && options.onStop) options.onStop();
    };

    p.clear = () => { p.stop(); layer.clearLayers(); p.coords = []; p.times = []; p.events = []; };
    return p;
  }

  window.GWReplay = { player, formatDuration };
})();
