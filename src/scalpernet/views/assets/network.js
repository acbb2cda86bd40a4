/* ScalperNet network page: draws the network described by the JSON data block, offline.
   Text from the data is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("scalpernet-data").textContent);
  var TOOLTIP_ROWS = 6, TOOLTIP_CHARS = 160;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
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
      parent.appendChild(el("div", "info-more",
        "\u2026 " + (items.length - shown.length) + " more: click for all"));
    }
  }

  // A member's (or group's, or link's) facts, signals and evidence as a DOM tree.
  function infoTree(info, brief) {
    var limit = brief ? TOOLTIP_CHARS : 0;
    var root = el("div", "info");
    root.appendChild(el("div", "info-title", info.title));
    if (info.sub) root.appendChild(el("div", "info-sub", clip(info.sub, limit)));
    function pair(item) {
      var row = el("div", "info-row");
      row.appendChild(el("span", "k", item[0]));
      row.appendChild(el("span", "v", clip(item[1], limit)));
      return row;
    }
    (info.facts || []).forEach(function (item) { root.appendChild(pair(item)); });
    rows(root, "Signals", info.signals, brief, function (s) {
      var row = el("div", "info-row");
      row.appendChild(el("span", "k", s[0]));
      row.appendChild(el("b", null, s[1]));
      if (s[2]) row.appendChild(el("div", "signal-detail", clip(s[2], limit)));
      return row;
    });
    rows(root, "Evidence", info.evidence, brief, pair);
    return root;
  }

  // Tooltips are elements, not strings: vis-network would render a string as markup.
  data.nodes.forEach(function (n) {
    if (data.info[n.id]) n.title = infoTree(data.info[n.id], true);
  });
  data.edges.forEach(function (e) {
    if (data.edgeInfo[e.id]) e.title = infoTree({title: "Link", facts: data.edgeInfo[e.id]}, true);
  });

  var hidden = {}, home = {}, edgeEnds = {}, edgesOf = {}, groupOf = {}, expanded = {};
  data.nodes.forEach(function (n) { hidden[n.id] = !!n.hidden; home[n.id] = [n.x, n.y]; });
  data.edges.forEach(function (e) {
    edgeEnds[e.id] = [e.from, e.to];
    (edgesOf[e.from] = edgesOf[e.from] || []).push(e.id);
    (edgesOf[e.to] = edgesOf[e.to] || []).push(e.id);
  });
  Object.keys(data.groups).forEach(function (gid) {
    data.groups[gid].members.forEach(function (m) { groupOf[m] = gid; });
  });

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  var physicsBox = document.getElementById("physics");
  var tiered = !data.physics;

  function updateShown() {
    var members = 0;
    Object.keys(hidden).forEach(function (id) {
      if (!hidden[id] && !data.groups[id]) members += 1;
    });
    document.getElementById("shown").textContent =
      members + " of " + data.total + " members shown";
  }

  // An opened group's block goes under its node, below any open block it would overlap.
  var openBlocks = {}, BLOCK_MARGIN = 60, LABEL_HALF = 70;
  function placeBlock(gid) {
    var g = data.groups[gid];
    var x0 = g.x - g.width / 2 - LABEL_HALF, x1 = g.x + g.width / 2 + LABEL_HALF;
    var top = g.y, moved = true;
    while (moved) {
      moved = false;
      Object.keys(openBlocks).forEach(function (other) {
        var b = openBlocks[other];
        if (b.x0 < x1 && x0 < b.x1 && b.top < top + g.height + BLOCK_MARGIN &&
            top < b.top + b.height + BLOCK_MARGIN) {
          top = b.top + b.height + 2 * BLOCK_MARGIN;
          moved = true;
        }
      });
    }
    openBlocks[gid] = {x0: x0, x1: x1, top: top, height: g.height};
    return g.members.map(function (id, j) {
      home[id] = [g.x + g.offsets[j][0], top + g.offsets[j][1]];
      return {id: id, x: home[id][0], y: home[id][1]};
    });
  }

  // Open or close a group: its node stands for its members while it is closed.
  function setGroup(gid, open) {
    var group = data.groups[gid];
    if (!group || !group.collapsible || !!expanded[gid] === open) return;
    expanded[gid] = open;
    var changed = group.members.concat([gid]), nodeUpdates = [], edgeUpdates = [], seen = {};
    if (open) nodeUpdates = placeBlock(gid); else delete openBlocks[gid];
    changed.forEach(function (id, j) {
      hidden[id] = id === gid ? open : !open;
      var update = nodeUpdates[j] || {id: id};
      update.hidden = hidden[id];
      update.physics = !hidden[id];
      nodeUpdates[j] = update;
    });
    nodes.update(nodeUpdates);
    changed.forEach(function (id) {
      (edgesOf[id] || []).forEach(function (eid) {
        if (seen[eid]) return;
        seen[eid] = true;
        var ends = edgeEnds[eid], off = hidden[ends[0]] || hidden[ends[1]];
        edgeUpdates.push({id: eid, hidden: off, physics: !off});
      });
    });
    edges.update(edgeUpdates);
    updateShown();
  }

  function showDetails(id) {
    var body = document.getElementById("details-body");
    body.replaceChildren(infoTree(data.info[id], false));
    var gid = groupOf[id];
    if (gid && expanded[gid]) {
      var group = data.groups[gid];
      var button = el("button", null, "Close the group: " + group.caption);
      button.type = "button";
      button.addEventListener("click", function () {
        setGroup(gid, false);
        network.selectNodes([gid]);
        showDetails(gid);
      });
      body.appendChild(button);
    }
  }

  function clearDetails() {
    document.getElementById("details-body").replaceChildren(
      el("p", "hint", "Click a member to see its signals and evidence."));
  }

  network.on("click", function (params) {
    if (params.nodes.length) {
      var id = params.nodes[0];
      if (data.groups[id] && !expanded[id]) {
        setGroup(id, true);
        var first = data.groups[id].members[0];
        network.selectNodes([first]);
        showDetails(first);
      } else if (data.info[id]) {
        showDetails(id);
      }
    } else if (params.edges.length === 1 && data.edgeInfo[params.edges[0]]) {
      document.getElementById("details-body").replaceChildren(
        infoTree({title: "Link", facts: data.edgeInfo[params.edges[0]]}, false));
    } else {
      clearDetails();
    }
  });

  // Tier captions at the left edge, at a size that stays readable at any zoom.
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
      ctx.fillStyle = "#64748b";
      ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
      ctx.lineWidth = 4;
      ctx.textBaseline = "middle";
      data.rows.forEach(function (row) {
        caption(ctx, row[0], 10, network.canvasToDOM({x: 0, y: row[1]}).y, "left");
      });
      if (data.apart) {
        var at = network.canvasToDOM({x: data.apart[1], y: data.apart[2]});
        var half = ctx.measureText(data.apart[0]).width / 2 + 6;
        var x = Math.min(Math.max(at.x, half), ctx.canvas.clientWidth - half);
        caption(ctx, data.apart[0], x, at.y - 30, "center");
      }
      ctx.restore();
    }
    window.__scalpernetLastDrawMs = performance.now() - window.__scalpernetDrawStart;
  });

  physicsBox.addEventListener("change", function () {
    if (physicsBox.checked) tiered = false;
    network.setOptions({physics: {enabled: physicsBox.checked, stabilization: {enabled: false}}});
  });
  document.getElementById("tiered").addEventListener("click", function () {
    physicsBox.checked = false;
    network.setOptions({physics: {enabled: false}});
    nodes.update(Object.keys(home).map(function (id) {
      return {id: id, x: home[id][0], y: home[id][1]};
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
  collapseAll.hidden = !Object.keys(data.groups).some(function (gid) {
    return data.groups[gid].collapsible;
  });
  collapseAll.addEventListener("click", function () {
    Object.keys(expanded).forEach(function (gid) { setGroup(gid, false); });
    clearDetails();
  });

  // Tests and benchmarks wait for this flag: the graph is drawn and stands still.
  function markReady() {
    window.__scalpernetReadyAt = performance.now();
    window.__scalpernetReady = true;
    document.body.setAttribute("data-ready", "true");
  }
  var anyShown = data.nodes.some(function (n) { return !n.hidden; });
  if (data.physics && anyShown) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({physics: {enabled: false}});
      physicsBox.checked = false;
      network.once("afterDrawing", markReady);
      fit();
    });
  } else {
    network.once("afterDrawing", markReady);
    fit();
  }
  updateShown();
  window.scalpernet = {
    network: network, nodes: nodes, edges: edges,
    openGroup: function (gid) { setGroup(gid, true); },
    closeGroup: function (gid) { setGroup(gid, false); },
    select: function (id) { network.selectNodes([id]); showDetails(id); }
  };
})();
