/* ScalperNet network page: draws the network described by the JSON data block, offline.
   Text from the data (and from the API) is only ever set with textContent, never parsed as
   HTML. The page opens on the org chart of the network's people when it has them. */
(function () {
  "use strict";
  var stages = window.__scalpernetStages = {start: performance.now()};
  var data = JSON.parse(document.getElementById("scalpernet-data").textContent);
  stages.parsed = performance.now();
  var T = data.t, chart = data.chart;
  var TOOLTIP_ROWS = 6, TOOLTIP_CHARS = 160, PHYSICS_MS = 4000, RING_MAX = 60;
  var PAGE_HEADER = {"X-ScalperNet-Page": "1"};

  function say(key, values) {
    return String(T[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] !== undefined ? String(values[name]) : "";
    });
  }
  var dateFormat = new Intl.DateTimeFormat(data.lang, {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  var numberFormat = new Intl.NumberFormat(data.lang);
  function when(value) {
    if (value === null || value === undefined || value === "" || value === "None") return "?";
    var date = typeof value === "number" ? new Date(value) : new Date(value);
    return isNaN(date) ? String(value) : dateFormat.format(date) + " " + data.tz;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function button(text, onClick) {
    var b = el("button", null, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function clip(text, limit) {
    text = String(text);
    return limit && text.length > limit ? text.slice(0, limit - 1) + "\u2026" : text;
  }
  function rows(parent, heading, items, brief, render) {
    if (!items || !items.length) return;
    parent.appendChild(el("div", "info-section", heading));
    var shown = brief ? items.slice(0, TOOLTIP_ROWS) : items;
    shown.forEach(function (item) { parent.appendChild(render(item)); });
    if (shown.length < items.length) {
      parent.appendChild(el("div", "info-more", say("more", {n: items.length - shown.length})));
    }
  }
  function pair(item, limit) {
    var row = el("div", "info-row");
    row.appendChild(el("span", "k", item[0]));
    row.appendChild(el("span", "v", clip(item[1], limit)));
    return row;
  }
  // A member's (or person's, group's, link's) facts, signals and evidence as a DOM tree.
  function infoTree(info, brief) {
    var limit = brief ? TOOLTIP_CHARS : 0;
    var root = el("div", "info");
    root.appendChild(el("div", "info-title", info.title));
    if (info.sub) root.appendChild(el("div", "info-sub", clip(info.sub, limit)));
    (info.facts || []).forEach(function (item) { root.appendChild(pair(item, limit)); });
    rows(root, T.signals, info.signals, brief, function (s) {
      var row = el("div", "info-row");
      row.appendChild(el("span", "k", s[0]));
      row.appendChild(el("b", null, s[1]));
      if (s[2]) row.appendChild(el("div", "signal-detail", clip(s[2], limit)));
      return row;
    });
    rows(root, T.evidence, info.evidence, brief, function (item) { return pair(item, limit); });
    return root;
  }

  // Tooltips are elements built when hovered (not strings: vis-network would render a
  // string as markup; not built up front: thousands of them slowed the opening). They stay
  // short, and go away on a click, which shows everything in the side panel instead.
  var extra = {};
  function tipInfo(kind, id) {
    if (kind === "node") return data.info[id] || extra[id];
    return data.edgeInfo[id] ? {title: T.link, facts: data.edgeInfo[id]} : null;
  }

  var home = {}, edgeEnds = {}, groupOf = {}, expanded = {}, actorsOf = {};
  data.nodes.forEach(function (n) { home[n.id] = [n.x, n.y]; });
  data.edges.forEach(function (e) { edgeEnds[e.id] = [e.from, e.to]; });
  Object.keys(data.groups).forEach(function (gid) {
    data.groups[gid].members.forEach(function (m) { groupOf[m] = gid; });
  });
  if (chart) {
    Object.keys(chart.actors).forEach(function (aid) {
      chart.actors[aid].members.forEach(function (m) {
        (actorsOf[m] = actorsOf[m] || []).push(aid);
      });
    });
  }

  // Every node and edge waits in a store; only those shown once join vis-network's data
  // sets (thousands of hidden identifiers made the opening of a large chart slow).
  var store = {}, edgeStore = {};
  data.nodes.forEach(function (n) { store[n.id] = n; });
  data.edges.forEach(function (e) { edgeStore[e.id] = e; });
  var nodes = new vis.DataSet(), edges = new vis.DataSet();
  var container = document.getElementById("graph");
  var physicsBox = document.getElementById("physics");
  var mode = chart ? "chart" : "ids";
  var tiered = !data.physics;
  var openActors = {}, openChartBlocks = {}, ringOf = {}, pinned = {};
  var filters = {role: "", kind: "", hospital: -1, score: 0, until: null};
  function atHospital(x) {
    return filters.hospital < 0 || (x.h || []).indexOf(filters.hospital) >= 0;
  }
  var current = {};
  refresh();
  stages.datasets = performance.now();
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  stages.network = performance.now();

  // -- what is shown --------------------------------------------------------------------
  function passes(m) {
    return (!filters.role || m.role === filters.role) && (!filters.kind || m.kind === filters.kind)
      && m.score >= filters.score && atHospital(m);
  }
  function actorPasses(a) {
    return (!filters.role || a.role === filters.role) && a.score >= filters.score
      && atHospital(a) && (filters.until === null || a.first === null || a.first <= filters.until);
  }
  function nodeVisible(id) {
    if (extra[id]) return true;
    var m = data.members[id];
    if (m) {
      if (pinned[id]) return true;
      if (!passes(m)) return false;
      if (mode === "chart") return !!ringOf[id];
      var gid = groupOf[id];
      return !(gid && data.groups[gid].collapsible && !expanded[gid]);
    }
    if (chart && chart.actors[id]) {
      var a = chart.actors[id];
      return mode === "chart" && actorPasses(a) && (!a.block || (!!openChartBlocks[a.block]
        && (!chart.blocks[a.block].parent || nodeVisible(chart.blocks[a.block].parent))));
    }
    if (chart && chart.blocks[id]) {
      var parent = chart.blocks[id].parent;
      return mode === "chart" && !openChartBlocks[id] && atHospital(chart.blocks[id])
        && (!parent || nodeVisible(parent));
    }
    if (data.groups[id]) return mode === "ids" && data.groups[id].collapsible && !expanded[id];
    return true;
  }
  function edgeVisible(id, shown) {
    var ends = edgeEnds[id];
    if (!shown[ends[0]] || !shown[ends[1]]) return false;
    if (id.charAt(0) === "a" && id.charAt(1) !== "e") return mode === "ids";  // into groups
    return true;
  }
  function wantedPosition(id) {
    if (data.members[id] && mode === "chart" && ringOf[id]) return ringOf[id];
    return home[id];
  }

  // Around a person's box, identifiers are drawn small, so that dozens fit in the ring.
  function memberSize(id) {
    return mode === "chart" ? Math.min(store[id].size || 12, 12) : store[id].size;
  }
  function refresh() {
    var shown = {}, adds = [], updates = [];
    Object.keys(store).forEach(function (id) {
      var on = shown[id] = nodeVisible(id);
      if (current[id] === on) return;
      current[id] = on;
      var at = on ? wantedPosition(id) : null;
      if (!nodes.get(id)) {
        if (!on) return;
        var node = Object.assign({}, store[id], {hidden: false, physics: !tiered});
        if (data.members[id]) node.size = memberSize(id);
        if (at) { node.x = at[0]; node.y = at[1]; }
        adds.push(node);
        return;
      }
      var update = {id: id, hidden: !on, physics: on && !tiered};
      if (at) { update.x = at[0]; update.y = at[1]; }
      if (on && data.members[id]) update.size = memberSize(id);
      updates.push(update);
    });
    nodes.add(adds);
    nodes.update(updates);
    adds = [];
    updates = [];
    Object.keys(edgeStore).forEach(function (id) {
      var on = edgeVisible(id, shown);
      if (current["edge:" + id] === on) return;
      current["edge:" + id] = on;
      if (!edges.get(id)) {
        if (on) adds.push(Object.assign({}, edgeStore[id], {hidden: false, physics: !tiered}));
        return;
      }
      updates.push({id: id, hidden: !on, physics: on && !tiered});
    });
    edges.add(adds);
    edges.update(updates);
    var count = 0;
    Object.keys(data.members).forEach(function (id) { if (shown[id]) count += 1; });
    var text = say("shown", {n: numberFormat.format(count), total: numberFormat.format(data.total)});
    if (chart && mode === "chart") {
      var people = Object.keys(chart.actors).filter(function (a) { return shown[a]; }).length;
      text = say("people", {n: people}) + " · " + text;
    }
    document.getElementById("shown").textContent = text;
  }

  // -- blocks: an opened group's block goes under its node, below any open block it meets --
  var openBlocks = {}, BLOCK_MARGIN = 60, LABEL_HALF = 80;
  function placeBlock(gid, g, ids) {
    var x0 = g.x - g.width / 2 - LABEL_HALF, x1 = g.x + g.width / 2 + LABEL_HALF;
    var top = g.y + (chart && chart.blocks[gid] ? 110 : 0), moved = true;
    while (moved) {
      moved = false;
      Object.keys(openBlocks).forEach(function (other) {
        var b = openBlocks[other];
        if (other !== gid && b.x0 < x1 && x0 < b.x1 && b.top < top + g.height + BLOCK_MARGIN &&
            top < b.top + b.height + BLOCK_MARGIN) {
          top = b.top + b.height + 2 * BLOCK_MARGIN;
          moved = true;
        }
      });
    }
    openBlocks[gid] = {x0: x0, x1: x1, top: top, height: g.height};
    ids.forEach(function (id, j) { home[id] = [g.x + g.offsets[j][0], top + g.offsets[j][1]]; });
  }
  // Open or close a group of identifiers (the identifiers view).
  function setGroup(gid, open) {
    var group = data.groups[gid];
    if (!group || !group.collapsible || !!expanded[gid] === open) return;
    expanded[gid] = open;
    if (open) placeBlock(gid, group, group.members); else delete openBlocks[gid];
    group.members.forEach(function (id) { current[id] = undefined; });
    refresh();
  }
  // Open or close an agent's patients (the org chart).
  function setChartBlock(bid, open) {
    var block = chart && chart.blocks[bid];
    if (!block || !!openChartBlocks[bid] === open) return;
    openChartBlocks[bid] = open;
    if (open) placeBlock(bid, block, block.actors); else {
      delete openBlocks[bid];
      block.actors.forEach(function (aid) { setActor(aid, false, true); });
    }
    block.actors.forEach(function (id) { current[id] = undefined; });
    refresh();
  }
  // Show or hide a person's identifiers, in a ring around the person's box.
  function setActor(aid, open, quiet) {
    var actor = chart && chart.actors[aid];
    if (!actor || !!openActors[aid] === open) return;
    openActors[aid] = open;
    var at = network.getPositions([aid])[aid] || {x: actor.x, y: actor.y};
    var ids = actor.members.slice(0, RING_MAX);
    var radius = Math.max(150, ids.length * 48 / (2 * Math.PI));
    ids.forEach(function (id, j) {
      if (open) {
        var angle = Math.PI / 2 + 2 * Math.PI * j / ids.length;
        ringOf[id] = [at.x + radius * Math.cos(angle), at.y + radius * Math.sin(angle)];
        current[id] = undefined;
        if (!edgeStore["u" + aid + id]) {
          edgeStore["u" + aid + id] = ({id: "u" + aid + id, from: aid, to: id, dashes: [2, 4],
                     color: {color: "#cbd5e1"}, arrows: {to: {enabled: false}},
                     label: actor.flags[id] ? (actor.flags[id] === "tool" ? T.tool : T.shared)
                                            : ""});
          edgeEnds["u" + aid + id] = [aid, id];
        }
      } else if (ringOf[id]) {
        var still = (actorsOf[id] || []).some(function (other) {
          return other !== aid && openActors[other];
        });
        if (!still) delete ringOf[id];
      }
    });
    if (!quiet) refresh();
    return ids;
  }

  var tip = el("div", "vis-tooltip");
  tip.style.visibility = "hidden";
  container.appendChild(tip);
  function showTooltip(kind, id, pointer) {
    var info = tipInfo(kind, id);
    if (!info) return;
    tip.replaceChildren(infoTree(info, true));
    var box = container.getBoundingClientRect();
    tip.style.left = Math.min(pointer.x + 12, Math.max(0, box.width - 440)) + "px";
    tip.style.top = Math.min(pointer.y + 12, Math.max(0, box.height - 200)) + "px";
    tip.style.visibility = "visible";
  }
  function hideTooltip() { tip.style.visibility = "hidden"; }
  var tipTimer = null;
  network.on("hoverNode", function (p) {
    clearTimeout(tipTimer);
    tipTimer = setTimeout(function () { showTooltip("node", p.node, p.pointer.DOM); }, 200);
  });
  network.on("hoverEdge", function (p) {
    clearTimeout(tipTimer);
    tipTimer = setTimeout(function () { showTooltip("edge", p.edge, p.pointer.DOM); }, 200);
  });
  ["blurNode", "blurEdge", "dragStart", "zoom"].forEach(function (name) {
    network.on(name, function () { clearTimeout(tipTimer); hideTooltip(); });
  });

  // After a block opens, show its first rows at a readable zoom (with the agent above).
  function showOpened(bid) {
    var block = chart.blocks[bid], ids = block.actors.slice(0, 30);
    if (block.parent) ids.push(block.parent);
    network.fit({nodes: ids.filter(function (id) { return nodes.get(id); }),
                 animation: false});
  }
  // -- the side panel ---------------------------------------------------------------------
  var details = document.getElementById("details-body");
  function showDetails(id) {
    hideTooltip();
    details.replaceChildren(infoTree(data.info[id] || extra[id] || {title: id}, false));
    if (chart && chart.actors[id]) actorPanel(id);
    if (chart && chart.blocks[id]) {
      details.appendChild(button(say("close_group", {caption: chart.blocks[id].caption}),
                                 function () { setChartBlock(id, false); clearDetails(); }));
    }
    var gid = groupOf[id];
    if (mode === "ids" && gid && expanded[gid]) {
      details.appendChild(button(say("close_group", {caption: data.groups[gid].caption}),
                                 function () { setGroup(gid, false); clearDetails(); }));
    }
    var m = data.members[id] || (extra[id] && extra[id].member);
    if (m) memberTools(id, m);
  }
  // An opened group: its summary, and a way to close it again.
  function showGroup(gid) {
    hideTooltip();
    details.replaceChildren(infoTree(data.info[gid] || {title: data.groups[gid].caption}, false));
    details.appendChild(button(say("close_group", {caption: data.groups[gid].caption}),
                               function () { setGroup(gid, false); clearDetails(); }));
  }
  function actorPanel(aid) {
    var actor = chart.actors[aid];
    details.appendChild(el("div", "info-section", T.identifiers));
    var list = el("ul", "identifiers");
    actor.members.forEach(function (id) {
      var m = data.members[id], item = el("li");
      var link = button(data.info[id].title, function () { focusMember(id); });
      link.className = "linkish";
      item.appendChild(link);
      if (actor.flags[id]) item.appendChild(el("span", "flag",
        actor.flags[id] === "tool" ? T.tool : T.shared));
      item.appendChild(el("span", "hint", " " + m.score.toFixed(2)));
      list.appendChild(item);
    });
    details.appendChild(list);
  }
  function clearDetails() {
    details.replaceChildren(el("p", "hint", document.getElementById("details").dataset.pick ||
                                            ""));
  }
  document.getElementById("details").dataset.pick =
    details.textContent.trim();

  network.on("click", function (params) {
    clearTimeout(tipTimer);
    hideTooltip();
    if (params.nodes.length) {
      var id = params.nodes[0];
      if (data.groups[id] && !expanded[id]) {
        setGroup(id, true);
        showGroup(id);
        return;
      }
      if (chart && chart.blocks[id]) {
        setChartBlock(id, true);
        showDetails(id);
        showOpened(id);
        return;
      }
      if (chart && chart.actors[id]) setActor(id, true);
      showDetails(id);
    } else if (params.edges.length === 1 && data.edgeInfo[params.edges[0]]) {
      details.replaceChildren(infoTree({title: T.link, facts: data.edgeInfo[params.edges[0]]},
                                       false));
    } else {
      clearDetails();
    }
  });

  // -- focus: make a member visible, highlight it and zoom to it -------------------------
  // Open what hides a person: their block, and the block of the person above them.
  function revealActor(aid) {
    var block = chart.actors[aid].block;
    if (!block) return;
    if (chart.blocks[block].parent) revealActor(chart.blocks[block].parent);
    setChartBlock(block, true);
  }
  function focusMember(id) {
    if (data.members[id] && mode === "chart" && !ringOf[id]) {
      var owners = actorsOf[id] || [];
      if (owners.length) {
        revealActor(owners[0]);
        if (chart.actors[owners[0]].members.indexOf(id) >= RING_MAX) pinned[id] = true;
        setActor(owners[0], true);
      } else {
        pinned[id] = true;
      }
    } else if (data.members[id] && mode === "ids" && groupOf[id]) {
      setGroup(groupOf[id], true);
    }
    if (data.members[id] && !nodeVisible(id)) pinned[id] = true;
    if (chart && chart.actors[id]) revealActor(id);
    current[id] = undefined;
    refresh();
    network.selectNodes([id]);
    network.focus(id, {scale: Math.max(network.getScale(), 1.1), animation: false});
    showDetails(id);
  }

  // -- search -----------------------------------------------------------------------------
  var results = document.getElementById("results");
  function localMatches(q) {
    var needle = q.trim().toLowerCase(), found = [];
    if (!needle) return found;
    Object.keys(data.members).forEach(function (id) {
      var m = data.members[id];
      var hay = [m.label, m.key, m.kind + ":" + m.key, m.ref || ""].join("\n").toLowerCase();
      if (hay.indexOf(needle) >= 0) found.push(id);
    });
    if (chart) {
      Object.keys(chart.actors).forEach(function (aid) {
        var title = (data.info[aid].title + "\n" + data.info[aid].sub).toLowerCase();
        if (title.indexOf(needle) >= 0) found.push(aid);
      });
    }
    return found.slice(0, 50);
  }
  function resultItem(id) {
    var item = el("li");
    var link = button(data.info[id].title, function () { focusMember(id); });
    link.className = "linkish";
    item.appendChild(link);
    if (data.members[id]) item.appendChild(el("span", "hint", " " + data.members[id].key));
    return item;
  }
  var byRef = {};
  Object.keys(data.members).forEach(function (id) {
    if (data.members[id].ref) byRef[data.members[id].ref] = id;
  });
  function search(q) {
    results.hidden = false;
    results.replaceChildren(el("h2", null, T.in_page));
    var found = localMatches(q), list = el("ul", "results");
    found.forEach(function (id) { list.appendChild(resultItem(id)); });
    results.appendChild(found.length ? list : el("p", "hint", T.no_results));
    if (found.length) focusMember(found[0]);
    if (!data.api) return;
    var remote = el("div", "remote", T.loading);
    results.appendChild(el("h2", null, T.in_api));
    results.appendChild(remote);
    api("/search?mode=exact&limit=20&q=" + encodeURIComponent(q.trim())).then(function (body) {
      var more = el("ul", "results"), any = false;
      body.results.forEach(function (hit) {
        var id = byRef[hit.ref];
        if (id && found.indexOf(id) < 0 && !found.length) { focusMember(id); }
        var item = el("li");
        if (id) {
          var link = button(data.info[id].title, function () { focusMember(id); });
          link.className = "linkish";
          item.appendChild(link);
        } else {
          item.appendChild(el("span", null, hit.kind + ":" + hit.key));
        }
        if (hit.name) item.appendChild(el("span", "hint", " " + hit.name));
        more.appendChild(item);
        any = true;
      });
      remote.replaceChildren(any ? more : el("p", "hint", T.no_results));
    }, function (error) { remote.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }
  document.getElementById("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("search").value);
  });

  // -- the JSON API, with the page's session ----------------------------------------------
  function api(path) {
    return fetch(path, {headers: PAGE_HEADER, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw (body.error && body.error.message) || String(r.status);
        return body;
      });
    });
  }
  function entityPath(m) {
    return "/entities/" + encodeURIComponent(m.kind) + "/" + encodeURIComponent(m.ref);
  }
  function memberTools(id, m) {
    if (!data.api || !m.ref) return;
    var tools = el("div", "tools");
    tools.appendChild(button(T.expand, function () { expand(id, m, out); }));
    tools.appendChild(button(T.timeline, function () { timeline(m, out); }));
    tools.appendChild(button(T.networks, function () { networksOf(m, out); }));
    var form = el("form", "paths");
    var target = el("input");
    target.placeholder = T.path_target;
    target.setAttribute("aria-label", T.path_target);
    form.appendChild(target);
    var go = el("button", null, T.find_paths);
    go.type = "submit";
    form.appendChild(go);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      paths(m, target.value, out);
    });
    tools.appendChild(el("div", "info-section", T.paths));
    tools.appendChild(form);
    var out = el("div", "tool-out");
    tools.appendChild(out);
    details.appendChild(tools);
  }
  var KIND_SHAPE = {ip: "triangle", payer: "star", escort_agent: "hexagon",
                    account: "triangleDown", device: "dot", phone: "diamond",
                    id_card: "square", patient: "dot"};
  // Neighbours on demand: members of this page are shown, others added as new nodes.
  function expand(id, m, out) {
    out.replaceChildren(el("p", "hint", T.loading));
    api(entityPath(m) + "/neighbours?limit=50").then(function (body) {
      var at = network.getPositions([id])[id], added = 0, n = body.neighbours.length;
      body.neighbours.forEach(function (nb, j) {
        var other = byRef[nb.ref], angle = 2 * Math.PI * j / Math.max(n, 1);
        if (!other) {
          other = "x:" + nb.ref;
          if (!store[other]) {
            var label = nb.kind === "patient" ? (nb.key.split("|")[1] || nb.key) : nb.key;
            extra[other] = {title: nb.kind + ":" + nb.key, sub: nb.ref,
                            facts: [[T.registrations, String(nb.shared_registrations)]],
                            member: {kind: nb.kind, ref: nb.ref, key: nb.key}};
            home[other] = [at.x + 170 * Math.cos(angle), at.y + 170 * Math.sin(angle)];
            store[other] = {id: other, label: clip(label, 20),
                            shape: KIND_SHAPE[nb.kind] || "dot", size: 10,
                            color: {background: "#e2e8f0", border: "#64748b"}};
            added += 1;
          }
        } else {
          pinned[other] = true;
          if (!ringOf[other]) ringOf[other] = [at.x + 170 * Math.cos(angle),
                                               at.y + 170 * Math.sin(angle)];
          current[other] = undefined;
        }
        var eid = "x" + id + "|" + other;
        if (!edgeStore[eid] && !edgeStore["x" + other + "|" + id]) {
          edgeStore[eid] = {id: eid, from: id, to: other, color: {color: "#64748b"},
                            label: nb.type + " \u00d7" + nb.shared_registrations,
                            dashes: [6, 3]};
          edgeEnds[eid] = [id, other];
        }
      });
      pinned[id] = true;
      refresh();
      out.replaceChildren(el("p", "hint", say("added", {n: added}) + " · " +
                                          say("total", {n: n})));
    }, function (error) { out.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }
  // A tool's answer is scrolled into the side panel's view.
  function reveal(node) {
    var aside = document.querySelector("aside");
    aside.scrollTop += node.getBoundingClientRect().top - aside.getBoundingClientRect().top - 8;
  }
  // The current networks a member belongs to, each linking to its page.
  function networksOf(m, out) {
    out.replaceChildren(el("p", "hint", T.loading));
    api(entityPath(m)).then(function (body) {
      out.replaceChildren(el("div", "info-section", T.networks));
      var list = el("ul", "results");
      body.networks.forEach(function (n) {
        var item = el("li"), link = el("a", null, n.network);
        link.href = data.served.overview + "/" + encodeURIComponent(n.network);
        item.appendChild(link);
        item.appendChild(el("span", "hint", " " + T.risk + " " +
          (Math.floor(n.risk * 1000) / 1000).toFixed(3) + " · " +
          (data.roles[n.role] || n.role || "?") + " · " + T.score + " " +
          (n.score === null ? "?" : n.score.toFixed(2))));
        list.appendChild(item);
      });
      out.appendChild(body.networks.length ? list : el("p", "hint", T.no_results));
      reveal(out);
    }, function (error) { out.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }
  // A member's bookings: a table, and the delays after the slot's release as a histogram.
  var TIMELINE_PAGE = 200;
  function timeline(m, out, offset) {
    offset = offset || 0;
    out.replaceChildren(el("p", "hint", T.loading));
    api(entityPath(m) + "/registrations?limit=" + TIMELINE_PAGE + "&offset=" + offset)
        .then(function (body) {
      out.replaceChildren(el("div", "info-section", T.timeline + " · " +
        say("total", {n: numberFormat.format(body.total)}) + " · " +
        numberFormat.format(offset + 1) + "\u2013" +
        numberFormat.format(offset + body.registrations.length)));
      var pager = el("div", "pager");
      if (offset > 0) pager.appendChild(button("\u2190", function () {
        timeline(m, out, Math.max(0, offset - TIMELINE_PAGE));
      }));
      if (offset + body.registrations.length < body.total) {
        pager.appendChild(button("\u2192", function () {
          timeline(m, out, offset + TIMELINE_PAGE);
        }));
      }
      out.appendChild(pager);
      var delays = [];
      body.registrations.forEach(function (r) {
        var released = Date.parse(r.released_at), booked = Date.parse(r.booked_at);
        if (!isNaN(released) && !isNaN(booked)) delays.push((booked - released) / 1000);
      });
      if (delays.length) out.appendChild(histogram(delays));
      var compare = el("div", "release-compare");
      out.appendChild(compare);
      releaseCompare(m, compare);
      var table = el("table", "timeline"), head = el("tr");
      [T.booked_at, T.hospital, T.status, T.delay].forEach(function (h) {
        head.appendChild(el("th", null, h));
      });
      table.appendChild(head);
      body.registrations.forEach(function (r) {
        var row = el("tr"), released = Date.parse(r.released_at),
            booked = Date.parse(r.booked_at);
        var delay = isNaN(released) || isNaN(booked) ? "?" :
          numberFormat.format((booked - released) / 1000) + " " + T.s;
        var status = r.status ? T["status." + r.status] || r.status : "?";
        [when(r.booked_at), r.hospital || "?", status, delay].forEach(function (v) {
          row.appendChild(el("td", null, v));
        });
        table.appendChild(row);
      });
      out.appendChild(table);
      reveal(out);
    }, function (error) { out.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }
  // The same releases' bookings: this network's beside everyone else's, as shares per bin.
  var COMPARE_TICKS = ["<0.1s", "0.1-1s", "1-3s", "3-10s", "10-60s", "\u226560s"];
  function releaseCompare(m, out) {
    var hospital = filters.hospital >= 0 ? data.hospitals[filters.hospital] : null;
    api("/networks/" + encodeURIComponent(data.network) + "/release-delays?member=" +
        encodeURIComponent(m.ref) + (hospital ? "&hospital=" +
        encodeURIComponent(hospital) : "")).then(function (body) {
      out.replaceChildren(el("div", "info-section", say("compare", {releases: body.releases})));
      if (!body.other_bookings) out.appendChild(el("p", "hint", T.compare_none));
      var canvas = el("canvas", "compare"), W = 300, H = 150;
      canvas.width = W; canvas.height = H;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", say("compare", {releases: body.releases}));
      var ctx = canvas.getContext("2d"), bar = W / body.bins.length;
      var share = function (n, total) { return total ? n / total : 0; };
      ctx.font = "10px sans-serif";
      body.bins.forEach(function (b, i) {
        [[b.network, body.network_bookings, "#b91c1c", 0],
         [b.others, body.other_bookings, "#2563eb", 1]].forEach(function (s) {
          var h = 90 * share(s[0], s[1]), x = i * bar + 3 + s[3] * (bar - 6) / 2;
          ctx.fillStyle = s[2];
          ctx.fillRect(x, 110 - h, (bar - 8) / 2, h);
          if (s[0]) {
            ctx.fillStyle = "#111827";
            ctx.fillText(String(s[0]), x, 107 - h);
          }
        });
        ctx.fillStyle = "#475569";
        ctx.fillText(COMPARE_TICKS[i] || b.label, i * bar + 2, 124);
      });
      ctx.fillStyle = "#b91c1c";
      ctx.fillRect(2, 134, 10, 10);
      ctx.fillStyle = "#111827";
      ctx.fillText(say("network_share", {n: body.network_bookings}), 16, 143);
      ctx.fillStyle = "#2563eb";
      ctx.fillRect(150, 134, 10, 10);
      ctx.fillStyle = "#111827";
      ctx.fillText(say("others_share", {n: body.other_bookings}), 164, 143);
      out.appendChild(canvas);
      var table = el("table", "timeline compare-table"), head = el("tr");
      [T.delay, T.col_network, T.col_others].forEach(function (h) {
        head.appendChild(el("th", null, h));
      });
      table.appendChild(head);
      body.bins.forEach(function (b) {
        var row = el("tr");
        [b.label, b.network, b.others].forEach(function (v) { row.appendChild(el("td", null, v)); });
        table.appendChild(row);
      });
      out.appendChild(table);
    }, function (error) { out.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }
  function histogram(values) {
    var edgesS = [0, 0.1, 0.5, 1, 5, 30, 60, 600, 3600, Infinity];
    var counts = edgesS.slice(1).map(function () { return 0; });
    values.forEach(function (v) {
      for (var i = 0; i < counts.length; i++) {
        if (v < edgesS[i + 1]) { counts[i] += 1; return; }
      }
    });
    var canvas = el("canvas", "histogram");
    canvas.width = 300; canvas.height = 130;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", T.release_delays);
    var ctx = canvas.getContext("2d"), top = Math.max.apply(null, counts) || 1;
    var bar = 300 / counts.length;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#334155";
    ctx.fillText(T.release_delays, 4, 10);
    counts.forEach(function (c, i) {
      var h = 75 * c / top;
      ctx.fillStyle = i < 3 ? "#b91c1c" : "#2563eb";
      ctx.fillRect(i * bar + 2, 110 - h, bar - 4, h);
      ctx.fillStyle = "#111827";
      ctx.fillText(String(c), i * bar + 4, 107 - h);
      ctx.fillStyle = "#475569";
      var lo = edgesS[i];
      ctx.fillText(lo >= 60 ? lo / 60 + "m" : "\u2265" + lo, i * bar + 2, 124);
    });
    var wrap = el("div");
    wrap.appendChild(canvas);
    return wrap;
  }
  // Shortest paths: the target is a member of this page (by name or key), a ref, or kind:key.
  function paths(m, text, out) {
    var q = text.trim();
    if (!q) return;
    var local = localMatches(q).filter(function (id) { return data.members[id]; });
    var target = local.length && data.members[local[0]].ref ? data.members[local[0]].ref : q;
    out.replaceChildren(el("p", "hint", T.loading));
    api("/paths?max_hops=6&limit=5&source=" + encodeURIComponent(m.ref) + "&target=" +
        encodeURIComponent(target)).then(function (body) {
      out.replaceChildren();
      if (!body.paths.length) {
        out.appendChild(el("p", "hint", say("no_paths", {hops: body.max_hops})));
        return;
      }
      var onPage = [];
      body.paths.forEach(function (path, n) {
        out.appendChild(el("div", "info-section", say("path", {n: n + 1, len: path.length})));
        var list = el("ol", "path");
        path.nodes.forEach(function (node) {
          var text = node.type === "registration"
            ? T.registrations + " " + (node.hospital || "") + " " + when(node.booked_at)
            : node.kind + ":" + node.key;
          var id = node.ref && byRef[node.ref];
          if (id) {
            onPage.push(id);
            var link = button(text, function () { focusMember(id); });
            link.className = "linkish";
            var item = el("li");
            item.appendChild(link);
            list.appendChild(item);
          } else {
            list.appendChild(el("li", null, text));
          }
        });
        out.appendChild(list);
      });
      onPage.forEach(function (id) { pinned[id] = true; current[id] = undefined; });
      refresh();
      network.selectNodes(onPage.filter(function (id) { return nodes.get(id); }));
      reveal(out);
    }, function (error) { out.replaceChildren(el("p", "error", say("error", {msg: error}))); });
  }

  // A list of the people (or, without actors, the identifiers) as text beside the canvas:
  // readable with a keyboard or a screen reader, each entry focusing its box or node.
  var LIST_MAX = 300;
  function showList() {
    results.hidden = false;
    results.replaceChildren(el("h2", null, document.getElementById("list").textContent));
    var ids = chart ? Object.keys(chart.actors) : Object.keys(data.members).sort(function (a, b) {
      return data.members[b].score - data.members[a].score;
    });
    var list = el("ul", "results");
    ids.slice(0, LIST_MAX).forEach(function (id) { list.appendChild(resultItem(id)); });
    results.appendChild(list);
    if (ids.length > LIST_MAX) {
      results.appendChild(el("p", "hint", say("more", {n: ids.length - LIST_MAX})));
    }
  }
  document.getElementById("list").addEventListener("click", showList);

  // -- filters and the time slider --------------------------------------------------------
  function onFilter() {
    filters.role = document.getElementById("filter-role").value;
    filters.kind = document.getElementById("filter-kind").value;
    var hospital = document.getElementById("filter-hospital").value;
    filters.hospital = hospital === "" ? -1 : parseInt(hospital, 10);
    filters.score = parseFloat(document.getElementById("filter-score").value);
    document.getElementById("filter-score-value").textContent = filters.score.toFixed(2);
    var slider = document.getElementById("filter-time");
    if (span) {
      var value = parseInt(slider.value, 10);
      filters.until = value >= 100 ? null : span[0] + (span[1] - span[0]) * value / 100;
      document.getElementById("filter-time-value").textContent =
        when(filters.until === null ? span[1] : filters.until);
    }
    refresh();
  }
  var span = null;
  if (chart) {
    Object.keys(chart.actors).forEach(function (aid) {
      var a = chart.actors[aid];
      if (a.first === null || a.first === undefined) return;
      span = span ? [Math.min(span[0], a.first), Math.max(span[1], a.last || a.first)]
                  : [a.first, a.last || a.first];
    });
  }
  document.getElementById("period-box").hidden = !span;
  document.getElementById("filter-hospital").hidden = !data.hospitals;
  ["filter-role", "filter-kind", "filter-hospital", "filter-score", "filter-time"]
      .forEach(function (id) {
    document.getElementById(id).addEventListener("input", onFilter);
  });

  // -- views and layouts ------------------------------------------------------------------
  function setMode(next) {
    if (next === mode || (next === "chart" && !chart)) return;
    mode = next;
    Object.keys(current).forEach(function (id) { current[id] = undefined; });
    document.getElementById("view-chart").setAttribute("aria-pressed", String(mode === "chart"));
    document.getElementById("view-ids").setAttribute("aria-pressed", String(mode === "ids"));
    refresh();
    fit();
  }
  document.getElementById("view-chart").addEventListener("click", function () { setMode("chart"); });
  document.getElementById("view-ids").addEventListener("click", function () { setMode("ids"); });
  document.getElementById("view-chart").hidden = !chart;
  document.getElementById("view-ids").hidden = !chart;

  // Tier captions above each row at the left edge, at a size readable at any zoom.
  function caption(ctx, text, x, y, align) {
    ctx.textAlign = align;
    ctx.strokeText(text, x, y);
    ctx.fillText(text, x, y);
  }
  network.on("beforeDrawing", function () {
    window.__scalpernetDrawStart = performance.now();
  });
  network.on("afterDrawing", function (ctx) {
    if (tiered) {
      var ratio = ctx.canvas.width / (ctx.canvas.clientWidth || ctx.canvas.width);
      ctx.save();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.font = "bold 13px sans-serif";
      ctx.fillStyle = "#475569";
      ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
      ctx.lineWidth = 4;
      ctx.textBaseline = "bottom";
      var captions = mode === "chart" ? chart.rows : data.rows, lift = mode === "chart" ? 42 : 24;
      captions.forEach(function (row) {
        caption(ctx, row[0], 8, network.canvasToDOM({x: 0, y: row[1]}).y - lift *
                network.getScale(), "left");
      });
      if (mode === "ids" && data.apart) {
        var at = network.canvasToDOM({x: data.apart[1], y: data.apart[2]});
        var half = ctx.measureText(data.apart[0]).width / 2 + 6;
        var x = Math.min(Math.max(at.x, half), ctx.canvas.clientWidth - half);
        caption(ctx, data.apart[0], x, at.y - 30, "center");
      }
      ctx.restore();
    }
    window.__scalpernetLastDrawMs = performance.now() - window.__scalpernetDrawStart;
  });

  // Physics never runs for long: it stops after PHYSICS_MS whatever it has reached.
  var physicsTimer = null;
  function stopPhysics() {
    clearTimeout(physicsTimer);
    network.setOptions({physics: {enabled: false}});
    physicsBox.checked = false;
  }
  physicsBox.addEventListener("change", function () {
    if (physicsBox.checked) {
      tiered = false;
      network.setOptions({physics: {enabled: true, stabilization: {enabled: false}}});
      clearTimeout(physicsTimer);
      physicsTimer = setTimeout(stopPhysics, PHYSICS_MS);
    } else {
      stopPhysics();
    }
  });
  document.getElementById("tiered").addEventListener("click", function () {
    stopPhysics();
    nodes.update(nodes.getIds().map(function (id) {
      var at = wantedPosition(id);
      return at ? {id: id, x: at[0], y: at[1]} : {id: id};
    }));
    tiered = true;
    fit();
  });
  // Fit the drawing, leaving the left edge to the tier captions.
  function fit() {
    network.fit({animation: false});
    var scale = network.getScale() * 0.92, at = network.getViewPosition();
    network.moveTo({position: {x: at.x - 50 / scale, y: at.y}, scale: scale});
  }
  document.getElementById("fit").addEventListener("click", fit);
  var collapseAll = document.getElementById("collapse-all");
  collapseAll.hidden = !chart && !Object.keys(data.groups).some(function (gid) {
    return data.groups[gid].collapsible;
  });
  collapseAll.addEventListener("click", function () {
    Object.keys(expanded).forEach(function (gid) { setGroup(gid, false); });
    Object.keys(openActors).forEach(function (aid) { setActor(aid, false, true); });
    Object.keys(openChartBlocks).forEach(function (bid) { setChartBlock(bid, false); });
    pinned = {};
    Object.keys(current).forEach(function (id) { current[id] = undefined; });
    refresh();
    clearDetails();
  });

  // Tests and benchmarks wait for this flag: the graph is drawn and stands still.
  function markReady() {
    stages.ready = performance.now();
    window.__scalpernetReadyAt = performance.now();
    window.__scalpernetReady = true;
    document.body.setAttribute("data-ready", "true");
  }
  refresh();
  stages.refreshed = performance.now();
  var anyShown = nodes.get({filter: function (n) { return !n.hidden; }}).length > 0;
  if (data.physics && anyShown) {
    network.setOptions({physics: {enabled: true}});
    physicsTimer = setTimeout(function () { network.stopSimulation(); }, PHYSICS_MS);
    network.once("stabilizationIterationsDone", function () {
      stopPhysics();
      network.once("afterDrawing", markReady);
      fit();
    });
  } else {
    network.once("afterDrawing", markReady);
    fit();
  }
  window.scalpernet = {
    network: network, nodes: nodes, edges: edges,
    openGroup: function (gid) {
      if (chart && chart.blocks[gid]) setChartBlock(gid, true); else setGroup(gid, true);
    },
    closeGroup: function (gid) {
      if (chart && chart.blocks[gid]) setChartBlock(gid, false); else setGroup(gid, false);
    },
    openActor: function (aid) { setActor(aid, true); },
    showOpened: function (bid) { showOpened(bid); },
    setMode: setMode, search: search, focus: focusMember,
    select: function (id) { network.selectNodes([id]); showDetails(id); }
  };
})();
