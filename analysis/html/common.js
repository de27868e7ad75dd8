/*
 * common.js - what opcount's pages share (html.c puts it in each page,
 * first): errors caught into the page, the embedded JSON, tables sortable
 * by a click on a header.  No library, no network.
 */
'use strict';
var opc = {};

/* An error anywhere is written into the page (#opcount-errors), where a
 * reader, and a test reading the DOM, sees it. */
opc.error = function (msg) {
	var e = document.getElementById('opcount-errors');

	if (!e) {
		e = document.createElement('pre');
		e.id = 'opcount-errors';
		(document.body || document.documentElement).insertBefore(e,
			(document.body || document.documentElement).firstChild);
	}
	e.hidden = false;
	e.textContent += 'JavaScript error: ' + msg + '\n';
	e.setAttribute('data-errors', String(Number(e.getAttribute('data-errors') || 0) + 1));
};
window.onerror = function (msg, src, line, col) {
	opc.error(msg + ' (line ' + line + ':' + col + ')');
	return false;
};

opc.$ = function (id) { return document.getElementById(id); };

/* the JSON embedded in <script type="application/json" id=ID>, or null */
opc.data = function (id) {
	var e = opc.$(id);

	return e ? JSON.parse(e.textContent) : null;
};

opc.el = function (tag, attrs, text) {
	var e = document.createElement(tag);

	for (var k in attrs || {})
		e.setAttribute(k, attrs[k]);
	if (text !== undefined && text !== null)
		e.textContent = text;
	return e;
};

/* A number as the JSON has it (exact), or derived ones shortened. */
opc.exact = function (v) {
	return v === null || v === undefined ? '-' : String(v);
};
opc.short = function (v, digits) {
	if (v === null || v === undefined || !isFinite(v))
		return '-';
	if (v === 0)
		return '0';
	return Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3 ? v.toExponential(digits - 1) :
		String(Number(v.toPrecision(digits)));
};
/* 1234567 -> "1.23 M" for counts; the exact value goes in the title */
opc.si = function (v) {
	var units = ['', ' k', ' M', ' G', ' T', ' P', ' E'], i = 0;

	if (v === null || v === undefined)
		return '-';
	while (Math.abs(v) >= 1000 && i < units.length - 1) {
		v /= 1000;
		i++;
	}
	return (i ? String(Number(v.toPrecision(3))) : String(v)) + units[i];
};

/*
 * A table from rows: cols[i] = { head, value(row) -> the cell's value (a
 * number or text), show(value, row) -> its text (optional), num: right
 * aligned and sorted as a number, exact: the title holds the value }.
 * Each <tr> has data-row (the row's index in the JSON), each <td> data-v
 * (its value, what sorting reads).
 */
opc.table = function (table, rows, cols, rowClass) {
	var thead = opc.el('thead'), tr = opc.el('tr'), tbody = opc.el('tbody');

	table.textContent = '';
	cols.forEach(function (c, ci) {
		var th = opc.el('th', { 'data-col': String(ci), title: c.title || 'sort' }, c.head);

		th.addEventListener('click', function () { opc.sort(table, ci, c.num); });
		tr.appendChild(th);
	});
	thead.appendChild(tr);
	table.appendChild(thead);
	rows.forEach(function (r, i) {
		var row = opc.el('tr', { 'data-row': String(i) });

		if (rowClass && rowClass(r))
			row.className = rowClass(r);
		cols.forEach(function (c) {
			var v = c.value(r), td = opc.el('td', { class: c.num ? 'num' : 'name' });

			td.setAttribute('data-v', v === null || v === undefined ? '' : String(v));
			td.textContent = c.show ? c.show(v, r) : (v === null || v === undefined ? '-' : String(v));
			if (c.num && v !== null && v !== undefined)
				td.title = String(v);
			row.appendChild(td);
		});
		tbody.appendChild(row);
	});
	table.appendChild(tbody);
};

/* click on a header: sort by that column, descending first for numbers */
opc.sort = function (table, ci, num) {
	var th = table.tHead.rows[0].cells[ci], tbody = table.tBodies[0];
	var desc = th.classList.contains('sorted-desc') ? false :
		th.classList.contains('sorted-asc') ? true : !!num;
	var rows = Array.prototype.slice.call(tbody.rows);

	rows.sort(function (a, b) {
		var x = a.cells[ci].getAttribute('data-v'), y = b.cells[ci].getAttribute('data-v');
		var d;

		if (num) {
			x = x === '' ? -Infinity : Number(x);
			y = y === '' ? -Infinity : Number(y);
			d = x < y ? -1 : x > y ? 1 : 0;
		} else {
			d = x < y ? -1 : x > y ? 1 : 0;
		}
		if (d !== 0)
			return desc ? -d : d;
		/* ties in the report's order, whichever the direction */
		return Number(a.getAttribute('data-row')) - Number(b.getAttribute('data-row'));
	});
	rows.forEach(function (r) { tbody.appendChild(r); });
	Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
		c.classList.remove('sorted-asc', 'sorted-desc');
	});
	th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
};

/* a <dl> of [term, text, class] */
opc.dl = function (parent, items) {
	var dl = opc.el('dl', { class: 'summary' });

	items.forEach(function (it) {
		var dd = opc.el('dd', it[2] ? { class: it[2] } : {});

		dl.appendChild(opc.el('dt', {}, it[0]));
		if (typeof it[1] === 'string')
			dd.textContent = it[1];
		else
			dd.appendChild(it[1]);
		dl.appendChild(dd);
	});
	parent.appendChild(dl);
	return dl;
};

opc.missing = function (parent, text) {
	parent.appendChild(opc.el('p', { class: 'missing' }, text));
};

/* Hover on the points of a picture: transparent circles with a title over
 * cairo's, at the centres the picture's metadata gives. */
opc.hover = function (svg, points, title) {
	var ns = 'http://www.w3.org/2000/svg';

	points.forEach(function (p) {
		var c = document.createElementNS(ns, 'circle'), t = document.createElementNS(ns, 'title');

		c.setAttribute('cx', p.cx);
		c.setAttribute('cy', p.cy);
		c.setAttribute('r', Math.max(p.r, 4));
		c.setAttribute('fill', 'transparent');
		c.setAttribute('class', 'opcount-point');
		c.setAttribute('data-row', p.row);
		t.textContent = title(p);
		c.appendChild(t);
		svg.appendChild(c);
	});
};

/* run f, an exception written into the page */
opc.run = function (f) {
	try {
		f();
	} catch (e) {
		opc.error(e && e.stack ? e.stack : String(e));
	}
	var s = opc.$('opcount-status');

	if (s)
		s.setAttribute('data-done', '1');
};
