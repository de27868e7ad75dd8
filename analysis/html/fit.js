/*
 * fit.js - `opcount fit --html`: rendered from the fit's JSON document
 * (#opcount-fit, what `opcount fit --format json` prints).
 */
opc.run(function () {
	var f = opc.data('opcount-fit'), u = f.unit;

	opc.$('opcount-sub').textContent = 'target ' + f.target + ' (' + f.target_definition + '), ' +
		f.runs.length + ' runs';
	var v = opc.$('verdict');
	v.textContent = f.cv.verdict;
	var items = [['target', f.target + ' (' + u + ')'], ['model', f.model]];
	var src = opc.el('span', {}, (f.energy_source || 'none') + ' ');
	src.appendChild(opc.el('span', { class: 'badge ' + (f.energy_measured ? 'measured' : 'estimated') },
			       f.energy_measured ? 'measured' : 'NOT measured'));
	items.push(['energy source', src]);
	if (f.energy_note)
		items.push(['how', f.energy_note]);
	items.push(['cross-validation', f.cv.possible ? 'each run group left out (' + f.cv.groups +
		    ' groups, by ' + f.cv.group_by + ')' : 'not possible (needs 3 runs): in sample', f.cv.possible ? '' : 'warn']);
	if (f.machine)
		items.push(['machine', (f.machine.cpu || '?') + ', ' + f.machine.ncpu + ' CPUs, BLAS ' +
			    (f.machine.blas || '?')]);
	opc.dl(opc.$('fit-summary'), items);

	/* models: {"a": {...}, "b": ..., "c": ...} */
	var names = Object.keys(f.models).sort();
	var models = names.map(function (k) { var m = f.models[k]; m._name = k; return m; });
	opc.table(opc.$('table-models'), models, [
		{ head: 'model', value: function (m) { return '(' + m._name + ')' + (m._name === f.model ? ' recommended' : ''); } },
		{ head: 'description', value: function (m) { return m.description; } },
		{ head: 'per FLOP (' + u + ')', num: 1, value: function (m) { return m.per_flop; },
		  show: function (x) { return opc.short(x, 4); } },
		{ head: 'per type (' + u + '/FLOP, ' + u + '/B)', value: function (m) {
			return Object.keys(m.per_type || {}).map(function (t) {
				var c = m.per_type[t];
				return t + ': ' + opc.short(c.per_flop, 3) + ', ' + opc.short(c.per_byte, 3);
			}).join('; '); } },
		{ head: 'per call (' + u + ')', num: 1, value: function (m) { return m.per_call; },
		  show: function (x) { return opc.short(x, 4); } },
		{ head: 'static W', num: 1, value: function (m) { return m.static_w; },
		  show: function (x) { return opc.short(x, 4); } },
		{ head: 'R\u00b2 in sample', num: 1, value: function (m) { return m.fit ? m.fit.r2 : null; },
		  show: function (x) { return opc.short(x, 4); } },
		{ head: 'CV MAPE %', num: 1, value: function (m) { return m.cv ? m.cv.mape : null; },
		  show: function (x) { return opc.short(x, 4); } },
		{ head: 'CV R\u00b2', num: 1, value: function (m) { return m.cv ? m.cv.r2 : null; },
		  show: function (x) { return opc.short(x, 4); } }
	]);
	var cols = [
		{ head: 'run', value: function (r) { return r.path; } },
		{ head: 'measured (' + u + ')', num: 1, value: function (r) { return r.measured; },
		  show: function (x) { return opc.short(x, 5); } }
	];
	names.forEach(function (n) {
		cols.push({ head: (f.cv.possible ? 'predicted (' : 'fitted (') + n + ')', num: 1,
			value: function (r) {
				var p = f.cv.possible && r.predicted ? r.predicted : r.fitted;
				return p ? p[n] : null; },
			show: function (x) { return opc.short(x, 5); } });
	});
	opc.table(opc.$('table-runs'), f.runs, cols);
	var st = opc.$('opcount-status');
	st.setAttribute('data-rows', String(f.runs.length));
	st.textContent = 'rendered ' + f.runs.length + ' runs from the embedded fit JSON';
});
