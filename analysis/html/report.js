/*
 * report.js - `opcount report --format html`: the page is rendered from
 * the JSON reports embedded in it (#opcount-report: the rows of --by;
 * #opcount-report-layer: the same traces by layer), so that what it shows
 * is what `opcount report --format json` prints.  The pictures are SVG
 * drawn by opcount (cairo); their numbers are in their <metadata>.
 */
opc.run(function () {
	var rep = opc.data('opcount-report'), lay = opc.data('opcount-report-layer');
	var E = rep.energy, T = rep.totals, hasE = T.energy_j !== null && T.energy_j !== undefined;
	var firstKey = { site: 'site', layer: 'layer', path: 'layer_path', op: 'op', type: 'type',
			 key: 'shape', device: 'device' };

	/* the title: what ran */
	var t0 = rep.traces[0] || {};
	opc.$('opcount-sub').textContent = rep.traces.length + ' trace' +
		(rep.traces.length === 1 ? '' : 's') + ': ' + rep.traces.map(function (t) {
			return t.path + (t.complete ? '' : ' (incomplete)');
		}).join(', ') + (t0.cmdline ? ' \u2014 ' + t0.cmdline : '');

	/* ---- summary ---- */
	var sum = opc.$('summary-body'), items = [], badge;

	items.push(['calls', opc.exact(T.calls)]);
	items.push(['FLOPs', opc.exact(T.flops) + (T.flops_estimated ? ' (some estimated)' : '')]);
	items.push(['bytes', opc.exact(T.bytes) + ' (' + rep.bytes_model + ')']);
	items.push(['busy time', opc.exact(T.busy_s) + ' s' +
		    (T.gpu_s ? ', of which GPU ' + opc.exact(T.gpu_s) + ' s' : '')]);
	items.push(['duration', opc.exact(T.duration_s) + ' s']);
	items.push(['GFLOP/s (FLOPs / busy time)', T.busy_s > 0 ? opc.short(T.flops / T.busy_s / 1e9, 4) : '-']);
	if (hasE) {
		badge = opc.el('span', { class: 'badge ' + (E.measured ? 'measured' : 'estimated') },
			       E.measured ? 'measured' : 'ESTIMATED, not measured');
		var src = opc.el('span', {}, E.source + (E.sources && E.sources.length > 1 ?
			' (' + E.sources.join(' + ') + ') ' : ' '));
		src.appendChild(badge);
		items.push(['energy', opc.exact(T.energy_j) + ' J']);
		items.push(['energy source', src]);
		if (E.note)
			items.push(['how', E.note]);
		items.push(['split', E.split === 'time' ? 'among calls by busy time (time-proportional)' : E.split]);
		items.push(['outside intercepted calls', opc.exact(E.outside_j) + ' J']);
		items.push(['layers\' own time', opc.exact(E.layers_j) + ' J']);
		if (E.closure)
			items.push(['closure', 'calls + layers + outside = counter, in each of ' +
				    E.closure.intervals + ' intervals; worst residual ' +
				    opc.exact(E.closure.worst_residual_j) + ' J (' +
				    opc.short(100 * E.closure.worst_residual, 3) + '%)']);
		if (E.idle_w !== undefined)
			items.push(['idle baseline', opc.exact(E.idle_w) + ' W: static ' + opc.exact(E.static_j) +
				    ' J, dynamic ' + opc.exact(E.dynamic_j) + ' J']);
	} else {
		items.push(['energy', 'none: this trace has no energy samples (source ' + E.source +
			    '); record with opcount record --energy auto (RAPL, perf, NVML) or estimate', 'warn']);
	}
	var J = rep.job;
	if (J && J.ranks_present && J.ranks_present.length) {
		items.push(['job', (J.launcher || '?') + (J.id ? ' job ' + J.id : '') + ', world size ' +
			    J.world_size + ', ranks present ' + J.ranks_present.join(',') +
			    (J.nodes ? ' on ' + J.nodes.length + ' node' + (J.nodes.length === 1 ? '' : 's') : '')]);
		if (J.slowest_rank !== null && J.slowest_rank !== undefined)
			items.push(['slowest rank', J.slowest_rank + ' (imbalance ' + opc.short(J.imbalance, 4) +
				    ', max/mean busy time)']);
	}
	if (rep.missing_ranks && rep.missing_ranks.length)
		items.push(['INCOMPLETE', 'ranks ' + rep.missing_ranks.join(',') + ' missing (no trace given)', 'warn']);
	if (rep.truncated_ranks && rep.truncated_ranks.length)
		items.push(['INCOMPLETE', 'ranks ' + rep.truncated_ranks.join(',') + ': truncated traces', 'warn']);
	rep.traces.forEach(function (t) {
		items.push(['trace', t.path + ': pid ' + t.pid + ', ' + opc.exact(t.duration_s) + ' s' +
			    (t.complete ? '' : ', INCOMPLETE') + (t.cpu ? ', ' + t.cpu : '') +
			    (t.blas ? ', BLAS ' + t.blas : '')]);
	});
	(rep.not_seen || []).forEach(function (u) {
		items.push(['not seen', u.path + ' (' + u.why + ')', 'warn']);
	});
	opc.dl(sum, items);

	/* ---- tables ---- */
	function cols(by) {
		var k = firstKey[by] || by;	/* a grouping named as its field */
		var c = [
			{ head: by, value: function (r) {
				var v = r[k];
				if (r.outside)
					return r.site;
				if (v !== null && v !== undefined)
					return v;
				return by === 'layer' || by === 'path' ? '(no layer)' : by === 'rank' ? '(no rank)' :
					by === 'node' ? '(unknown node)' : '';
			} },
			{ head: by === 'op' ? 'type' : 'op', value: function (r) { return by === 'op' ? r.type : r.op; } },
			{ head: 'calls', num: 1, value: function (r) { return r.calls; }, show: opc.si },
			{ head: 'FLOPs', num: 1, value: function (r) { return r.flops; }, show: opc.si },
			{ head: 'bytes', num: 1, value: function (r) { return r.bytes; }, show: opc.si },
			{ head: 'FLOP/B', num: 1, value: function (r) { return r.arithmetic_intensity; },
			  show: function (v) { return opc.short(v, 3); } },
			{ head: 'busy_s', num: 1, value: function (r) { return r.busy_s; },
			  show: function (v) { return opc.short(v, 4); } },
			{ head: 'GFLOP/s', num: 1, title: 'FLOPs / busy time',
			  value: function (r) { return r.busy_s > 0 ? r.flops / r.busy_s / 1e9 : null; },
			  show: function (v) { return opc.short(v, 4); } }
		];
		if (hasE)
			c.push({ head: 'energy_J', num: 1, value: function (r) { return r.energy_j; },
				 show: function (v) { return v === null || v === undefined ? '(in outer)' : opc.short(v, 4); } },
			       { head: 'E%', num: 1, value: function (r) { return r.energy_share; },
				 show: function (v) { return v === null || v === undefined ? '-' : (100 * v).toFixed(1); } },
			       { head: 'avg_W', num: 1, value: function (r) { return r.avg_power_w; },
				 show: function (v) { return opc.short(v, 4); } },
			       { head: 'GFLOP/J', num: 1, value: function (r) {
					return r.flops_per_j === null || r.flops_per_j === undefined ? null : r.flops_per_j / 1e9; },
				 show: function (v) { return opc.short(v, 4); } });
		return c;
	}
	function rowClass(r) { return r.nested ? 'nested' : ''; }

	opc.$('rows-by').textContent = rep.by;
	opc.table(opc.$('table-rows'), rep.rows, cols(rep.by), rowClass);
	opc.table(opc.$('table-layer'), lay.rows, cols('layer'), rowClass);
	var layered = lay.rows.some(function (r) { return r.layer !== null && !r.outside; });
	if (!layered)
		opc.missing(opc.$('layers-note'), 'no layers in this trace: every call is outside any ' +
			    'layer region. Mark layers with opcount_layer_begin/end (include/opcount.h) ' +
			    'or the PyTorch hooks (python/opcount_torch.py).');
	if (!hasE)
		opc.missing(opc.$('rows-note'), 'no energy in this trace: the tables have no energy columns.');

	/* ---- pictures: what their metadata says is missing, and hover ---- */
	opc.$('roofline-by').textContent = rep.by;
	[['opcount-roofline', 'roofline-note'], ['opcount-roofline-layer', 'roofline-layer-note']].forEach(function (ids) {
	var roof = opc.data(ids[0]), note = opc.$(ids[1]);
	if (roof) {
		(roof.missing || []).forEach(function (m) { opc.missing(note, m); });
		if (roof.warning)
			opc.missing(note, 'warning: ' + roof.warning);
		var svg = opc.$(ids[0]).parentNode;
		opc.hover(svg, roof.points, function (p) {
			return p.label + ' (' + (p.op || '') + ')\n' + opc.exact(p.flops) + ' FLOPs, ' +
				opc.exact(p.bytes) + ' bytes, ' + opc.exact(p.busy_s) + ' s busy\n' +
				opc.short(p.ai, 4) + ' FLOP/B, ' + opc.short(p.gflops, 4) + ' GFLOP/s' +
				(p.energy_j !== undefined && p.energy_j !== null ? ', ' + opc.exact(p.energy_j) + ' J' : '');
		});
		if (roof.not_placed && roof.not_placed.length)
			note.appendChild(opc.el('p', { class: 'note' }, roof.not_placed.length +
				' rows are not on it: ' + roof.not_placed.slice(0, 8).map(function (n) {
					return n.label + (n.op && n.op !== n.label ? ' ' + n.op : '') + ': ' + n.why;
				}).join('; ') +
				(roof.not_placed.length > 8 ? ', ...' : '')));
	}
	});
	var tl = opc.data('opcount-timeline');
	if (tl && tl.traces.length && tl.plot) {
		/* hover: the power of every series in the interval under the pointer */
		var tsvg = opc.$('opcount-timeline').parentNode, at = opc.el('p', { class: 'note', id: 'timeline-at' },
			'Move the pointer over the timeline: each domain\'s power in that interval.');
		tsvg.parentNode.parentNode.appendChild(at);
		var showAt = function (t) {
			var parts = [];

			if (!(t >= 0 && t <= tl.plot.t_max))
				return;
			tl.traces.forEach(function (tr) {
				var i = 0;
				while (i < tr.t_s.length - 1 && tr.t_s[i] < t)
					i++;
				if (t < tr.start_s || t > tr.t_s[tr.t_s.length - 1])
					return;
				Object.keys(tr.power_w).forEach(function (d) {
					parts.push(d + ' ' + opc.short(tr.power_w[d][i], 4) + ' W');
				});
			});
			at.textContent = 'at ' + opc.short(t, 4) + ' s: ' + (parts.join(', ') || 'no sample');
			at.setAttribute('data-t', String(t));
		};
		tsvg.addEventListener('mousemove', function (ev) {
			var pt = tsvg.createSVGPoint(), P = tl.plot;

			pt.x = ev.clientX;
			pt.y = ev.clientY;
			pt = pt.matrixTransform(tsvg.getScreenCTM().inverse());
			showAt((pt.x - P.x) / P.w * P.t_max);
		});
		/* #power-at=T: as if the pointer were at T seconds (for a link, or a test) */
		var ma = /power-at=([0-9.eE+-]+)/.exec(location.hash);
		if (ma)
			showAt(Number(ma[1]));
	}
	if (tl) {
		(tl.missing || []).forEach(function (m) { opc.missing(opc.$('timeline-note'), m); });
		tl.traces.forEach(function (t) {
			if (t.merged > 1)
				opc.$('timeline-note').appendChild(opc.el('p', { class: 'note' }, t.path + ': ' +
					t.intervals + ' intervals, drawn ' + t.merged + ' at a time (a bucket\'s ' +
					'power is its energy over its time)'));
			if (!t.measured)
				opc.$('timeline-note').appendChild(opc.el('p', { class: 'missing' }, t.path +
					': power from the ' + t.source + ' source: ESTIMATED, not measured'));
		});
	}
	/* file:///...html#sort=table-layer:2 opens the page sorted by that
	 * column, as a click on its header does (and a test can ask for) */
	var m = /sort=([\w-]+):(\d+)/.exec(location.hash);
	if (m && opc.$(m[1]) && opc.$(m[1]).tHead && opc.$(m[1]).tHead.rows[0].cells[Number(m[2])])
		opc.$(m[1]).tHead.rows[0].cells[Number(m[2])].click();
	var st = opc.$('opcount-status');
	st.setAttribute('data-rows', String(rep.rows.length));
	st.setAttribute('data-layer-rows', String(lay.rows.length));
	st.textContent = 'rendered ' + rep.rows.length + ' rows by ' + rep.by + ' and ' + lay.rows.length +
		' by layer from the embedded JSON report';
});
