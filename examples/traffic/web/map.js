// SPDX-License-Identifier: MIT
// The traffic map: connects to the broker over MQTT/WebSockets (MQTT.js, browser build), draws
// the road network from the retained GeoJSON on traffic/network (Leaflet in a plane: metres,
// no tiles), each vehicle as a marker coloured by its speed, and congested segments from the
// retained alerts. ?ws=ws://host:port/path picks another broker than the one serving the page.
'use strict';

(function () {
  const params = new URLSearchParams(location.search);
  const wsUrl = params.get('ws') ||
      (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/mqtt';
  const STALE_MS = 15000;  // a vehicle silent this long is taken off the map

  const map = L.map('map', {
    crs: L.CRS.Simple,  // x, y in metres; Leaflet's lat is our y, its lng our x
    preferCanvas: true,
    zoomSnap: 0.1,
    minZoom: -8,
    maxZoom: 4,
    attributionControl: false,
    zoomControl: false,
  });
  L.control.zoom({ position: 'topright' }).addTo(map);
  map.setView([0, 0], 0);
  // Panes, bottom to top: the roads, the congestion glow, the street names, the vehicles.
  const layer = (name, z) => {
    map.createPane(name).style.zIndex = String(z);
    return { group: L.layerGroup().addTo(map), renderer: L.canvas({ pane: name, padding: 0.2 }) };
  };
  const roadPane = layer('roads', 390), jamPane = layer('jams', 392);
  const labelPane = layer('labels', 395), vehiclePane = layer('vehicles', 420);

  const segments = new Map();   // id -> { feature, line }
  const jams = new Map();       // id -> { alert, glow }
  const vehicles = new Map();   // id -> { marker, x, y, speed, segment, last }
  let networkShown = false;
  let connected = false;
  let received = 0, lastSecond = 0, rate = 0;

  const speedColour = (speed) => {
    const f = Math.max(0, Math.min(1, (speed * 3.6) / 60));
    return 'hsl(' + Math.round(f * 120) + ', 85%, ' + Math.round(52 - f * 10) + '%)';
  };
  const latLng = (c) => [c[1], c[0]];

  function showNetwork(doc) {
    roadPane.group.clearLayers();
    labelPane.group.clearLayers();
    segments.clear();
    const bounds = L.latLngBounds([]);
    const streets = new Map();  // street name (without the direction) -> its first segment
    for (const f of doc.features || []) {
      if (!f.geometry || f.geometry.type !== 'LineString') continue;
      const pts = f.geometry.coordinates.map(latLng);
      const limit = (f.properties && f.properties.speed_limit) || 13.89;
      const line = L.polyline(pts, {
        renderer: roadPane.renderer, color: limit > 15 ? '#5f6b7a' : limit < 9 ? '#3a4149' : '#4a525c',
        weight: limit > 15 ? 5 : 4, opacity: 0.95, interactive: false,
      }).addTo(roadPane.group);
      segments.set(f.properties.id, { feature: f, line });
      pts.forEach((p) => bounds.extend(p));
      const street = String(f.properties.name || '').replace(/ (east|west|north|south)bound$/, '');
      if (street && !streets.has(street)) streets.set(street, pts);
    }
    // street names, where there are few enough streets to read them
    if (streets.size <= 40) {
      for (const [name, pts] of streets) {
        const a = pts[0], b = pts[pts.length - 1];
        const vertical = Math.abs(b[0] - a[0]) > Math.abs(b[1] - a[1]);
        L.tooltip({ permanent: true, direction: vertical ? 'left' : 'top', className: 'segment-label',
                    pane: 'labels', offset: vertical ? [-6, 0] : [0, -6] })
            .setLatLng([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]).setContent(name).addTo(labelPane.group);
      }
    }
    if (bounds.isValid()) {
      // keep the network clear of the panel in the top left corner on a wide window
      const wide = map.getSize().x > 1000;
      map.fitBounds(bounds, { paddingTopLeft: wide ? [450, 40] : [30, 170], paddingBottomRight: [40, 40] });
      networkShown = true;
    }
    for (const [id, j] of jams) drawJam(id, j.alert);
  }

  function drawJam(id, alert) {
    const old = jams.get(id);
    if (old && old.glow) jamPane.group.removeLayer(old.glow);
    const seg = segments.get(id);
    let glow = null;
    if (seg) {
      glow = L.polyline(seg.feature.geometry.coordinates.map(latLng), {
        renderer: jamPane.renderer, color: '#ff3b30', weight: 12, opacity: 0.6, lineCap: 'round',
        interactive: false,
      }).addTo(jamPane.group);
    }
    jams.set(id, { alert, glow });
  }
  function clearJam(id) {
    const old = jams.get(id);
    if (old && old.glow) jamPane.group.removeLayer(old.glow);
    jams.delete(id);
  }

  function onPosition(id, p) {
    let v = vehicles.get(id);
    const colour = speedColour(p.speed);
    if (!v) {
      const marker = L.circleMarker(latLng([p.x, p.y]), {
        renderer: vehiclePane.renderer, radius: 5, weight: 1.5, color: '#0d1117',
        fillColor: colour, fillOpacity: 1,
      }).addTo(vehiclePane.group);
      marker.bindTooltip('', { direction: 'top' });
      v = { marker };
      vehicles.set(id, v);
    } else {
      v.marker.setLatLng(latLng([p.x, p.y]));
      v.marker.setStyle({ fillColor: colour });
    }
    Object.assign(v, { x: p.x, y: p.y, speed: p.speed, segment: p.segment, last: Date.now() });
    v.marker.setTooltipContent(id + ': ' + (p.speed * 3.6).toFixed(0) + ' km/h on ' + p.segment);
  }
  function removeVehicle(id) {
    const v = vehicles.get(id);
    if (!v) return;
    vehiclePane.group.removeLayer(v.marker);
    vehicles.delete(id);
  }

  function updateStatus() {
    const n = vehicles.size;
    document.getElementById('status').textContent =
        n + (n === 1 ? ' vehicle, ' : ' vehicles, ') + rate + ' msg/s';
    const a = [...jams.keys()].sort();
    document.getElementById('alerts').textContent = a.length === 0 ? '' :
        'congestion on ' + a.map((id) => {
          const s = segments.get(id);
          return s && s.feature.properties.name ? s.feature.properties.name + ' (' + id + ')' : id;
        }).join(', ');
    document.getElementById('link').textContent =
        (connected ? 'connected to ' : 'connecting to ') + wsUrl;
  }

  setInterval(() => {
    rate = received - lastSecond;
    lastSecond = received;
    const now = Date.now();
    for (const [id, v] of vehicles) if (now - v.last > STALE_MS) removeVehicle(id);
    updateStatus();
  }, 1000);

  const client = mqtt.connect(wsUrl, {
    protocolVersion: 4,
    clean: true,
    clientId: 'traffic-map-' + Math.random().toString(16).slice(2, 10),
    reconnectPeriod: 1000,
    keepalive: 30,
  });
  client.on('connect', () => {
    connected = true;
    client.subscribe(['traffic/network', 'traffic/vehicles/+/position',
                      'traffic/vehicles/+/status', 'traffic/alerts/congestion/+'], { qos: 0 });
    updateStatus();
  });
  client.on('close', () => { connected = false; updateStatus(); });
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    const parts = topic.split('/');
    if (topic === 'traffic/network') {
      try { showNetwork(JSON.parse(text)); } catch (e) { console.error('bad network', e); }
    } else if (parts[0] === 'traffic' && parts[1] === 'vehicles' && parts.length === 4) {
      if (parts[3] === 'position') {
        received++;
        try { onPosition(parts[2], JSON.parse(text)); } catch (e) { console.error('bad position', e); }
      } else if (parts[3] === 'status' && text === 'offline') {
        removeVehicle(parts[2]);
      }
    } else if (parts[0] === 'traffic' && parts[1] === 'alerts' && parts[2] === 'congestion') {
      const id = parts.slice(3).join('/');
      if (text.length === 0) clearJam(id);
      else { try { drawJam(id, JSON.parse(text)); } catch (e) { console.error('bad alert', e); } }
    }
  });

  // For tests and the curious: what the page shows, as data.
  window.trafficMap = {
    get connected() { return connected; },
    get networkShown() { return networkShown; },
    get segments() { return segments.size; },
    get vehicles() { return vehicles.size; },
    get rate() { return rate; },
    get alerts() { return [...jams.keys()].sort(); },
    positions() {
      const out = {};
      for (const [id, v] of vehicles) out[id] = [v.x, v.y];
      return out;
    },
    status() { return document.getElementById('status').textContent; },
  };
})();
