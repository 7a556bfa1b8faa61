package scoring

import (
	"encoding/csv"
	"strings"
)

// grid is a table read from a dataframe-like payload: rows × cols cells,
// each a node index, -1 where a value is absent. For a decoder whose inputs
// are matched by name, the columns are the decoder's fields.
type grid struct {
	rows, cols int
	cells      []int32
}

func newGrid(rows, cols int) *grid {
	g := &grid{rows: rows, cols: cols, cells: make([]int32, rows*cols)}
	for i := range g.cells {
		g.cells[i] = -1
	}
	return g
}

// fieldOf returns the field a key node names, or -1.
func (dec *Decoder) fieldOf(d *doc, k int32) int {
	n := &d.nodes[k]
	var name string
	switch {
	case n.kind == kindString && n.flags == 0:
		name = d.src[n.start:n.end]
	case n.kind == kindString:
		name = d.text(k)
	default:
		name = d.raw(k) // a number used as a column label
	}
	if fi, ok := dec.byName[name]; ok {
		return fi
	}
	return -1
}

// missingError lists the required fields that present lacks, or is nil.
func (dec *Decoder) missingError(present func(fi int) bool) error {
	var missing []string
	for fi, f := range dec.fields {
		if f.required && !present(fi) {
			missing = append(missing, f.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return invalidParam("Failed to enforce schema of data with schema %s. Error: Model is missing inputs %s.",
		dec.schemaString(), pyList(missing))
}

func (dec *Decoder) allMissing() error { return dec.missingError(func(int) bool { return false }) }

// schemaString formats the input schema as MLflow prints it.
func (dec *Decoder) schemaString() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range dec.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case dec.mode == modeColumns:
			req := "required"
			if !f.required {
				req = "optional"
			}
			b.WriteString("'" + f.name + "': " + f.typeName + " (" + req + ")")
		case f.name == "":
			b.WriteString("Tensor('" + string(f.typ.dtype) + "', " + pyShape(f.shape) + ")")
		default:
			b.WriteString("'" + f.name + "': Tensor('" + string(f.typ.dtype) + "', " + pyShape(f.shape) + ")")
		}
	}
	b.WriteByte(']')
	return b.String()
}

// fromSplit reads {"columns": [...], "data": [[...], ...], "index": [...]}.
func (dec *Decoder) fromSplit(d *doc, v int32, req *Request) error {
	req.Columnar = true
	if d.nodes[v].kind != kindObject {
		return badRequest("Invalid input. dataframe_split must be an object with a 'data' field and optionally "+
			"'columns' and 'index' fields; got %s", kindName(d, v))
	}
	bad := false
	for k := d.first(v); k >= 0; k = d.nodes[d.nodes[k].next].next {
		if name := d.text(k); name != "data" && name != "columns" && name != "index" {
			bad = true
		}
	}
	data := d.member(v, "data")
	if data < 0 || bad {
		var keys []string
		for k := d.first(v); k >= 0; k = d.nodes[d.nodes[k].next].next {
			keys = append(keys, "'"+d.text(k)+"'")
		}
		return badRequest("Invalid input. Dataframe split format must have 'data' field and optionally 'columns' "+
			"and 'index' fields. Got {%s}.", strings.Join(keys, ", "))
	}
	if d.nodes[data].kind != kindArray {
		return badRequest("Invalid input. dataframe_split.data must be a list of rows; got %s", kindName(d, data))
	}
	cols := d.member(v, "columns")
	ncols := -1
	if cols >= 0 {
		if d.nodes[cols].kind != kindArray {
			return badRequest("Invalid input. dataframe_split.columns must be a list of column names; got %s",
				kindName(d, cols))
		}
		ncols = int(d.nodes[cols].n)
	}
	if dec.positional {
		// MLflow feeds a tensor model the frame's values by position and
		// ignores the column names.
		if d.nodes[data].n == 0 {
			return badRequest("Invalid input. dataframe_split.data is empty: send at least one row")
		}
		if ncols >= 0 {
			if err := checkRowWidths(d, data, ncols); err != nil {
				return err
			}
		}
		return dec.fromNested(d, data, req, true)
	}
	colOf := []int{}
	present := make([]bool, len(dec.fields))
	if cols >= 0 {
		for c := d.first(cols); c >= 0; c = d.nodes[c].next {
			fi := dec.fieldOf(d, c)
			if fi >= 0 && present[fi] {
				fi = -1 // a repeated column: the first one counts
			}
			if fi >= 0 {
				present[fi] = true
			}
			colOf = append(colOf, fi)
		}
	}
	if err := dec.missingError(func(fi int) bool { return present[fi] }); err != nil {
		return err
	}
	if d.nodes[data].n == 0 {
		return badRequest("Invalid input. dataframe_split.data is empty: send at least one row")
	}
	if dec.denseFrames && dec.fromDenseSplit(d, data, colOf, req) {
		return nil
	}
	g := newGrid(int(d.nodes[data].n), len(dec.fields))
	r := 0
	for row := d.first(data); row >= 0; row = d.nodes[row].next {
		switch {
		case d.nodes[row].kind == kindArray:
			if int(d.nodes[row].n) != len(colOf) {
				return badRequest("Invalid input. dataframe_split.data[%d] has %d values for %d columns",
					r, d.nodes[row].n, len(colOf))
			}
			j := 0
			for c := d.first(row); c >= 0; c = d.nodes[c].next {
				if fi := colOf[j]; fi >= 0 {
					g.cells[r*g.cols+fi] = c
				}
				j++
			}
		case len(colOf) == 1:
			if fi := colOf[0]; fi >= 0 {
				g.cells[r*g.cols+fi] = row
			}
		default:
			return badRequest("Invalid input. dataframe_split.data[%d] must be a list of %d values; got %s",
				r, len(colOf), kindName(d, row))
		}
		r++
	}
	return dec.fromGrid(d, g, req)
}

func checkRowWidths(d *doc, data int32, ncols int) error {
	r := 0
	for row := d.first(data); row >= 0; row = d.nodes[row].next {
		n := 1
		if d.nodes[row].kind == kindArray {
			n = int(d.nodes[row].n)
		}
		if n != ncols {
			return badRequest("Invalid input. dataframe_split.data[%d] has %d values for %d columns", r, n, ncols)
		}
		r++
	}
	return nil
}

// fromRecords reads [{"a": 1, "b": 2}, ...].
func (dec *Decoder) fromRecords(d *doc, v int32, req *Request) error {
	req.Columnar = true
	if d.nodes[v].kind != kindArray {
		return badRequest("Invalid input. dataframe_records must be a list of objects (records); got %s",
			kindName(d, v))
	}
	if d.nodes[v].n == 0 {
		if dec.mode == modeColumns {
			return dec.allMissing()
		}
		return invalidParam("Failed to enforce schema of data with schema %s. Error: Input DataFrame is empty.",
			dec.schemaString())
	}
	if dec.positional {
		return dec.positionalRecords(d, v, req)
	}
	g, err := dec.recordGrid(d, v, FieldDataframeRecords)
	if err != nil {
		return err
	}
	return dec.fromGrid(d, g, req)
}

// recordGrid reads a non-empty list of records into a grid of the fields.
func (dec *Decoder) recordGrid(d *doc, v int32, what string) (*grid, error) {
	g := newGrid(int(d.nodes[v].n), len(dec.fields))
	count := make([]int, len(dec.fields))
	r := 0
	for rec := d.first(v); rec >= 0; rec = d.nodes[rec].next {
		if d.nodes[rec].kind != kindObject {
			return nil, badRequest("Invalid input. %s[%d] must be an object (a record); got %s", what, r, kindName(d, rec))
		}
		for k := d.first(rec); k >= 0; {
			val := d.nodes[k].next
			if fi := dec.fieldOf(d, k); fi >= 0 {
				if g.cells[r*g.cols+fi] < 0 {
					count[fi]++
				}
				g.cells[r*g.cols+fi] = val
			}
			k = d.nodes[val].next
		}
		r++
	}
	if err := dec.missingError(func(fi int) bool { return count[fi] > 0 }); err != nil {
		return nil, err
	}
	for fi, f := range dec.fields {
		if f.required && count[fi] < g.rows {
			for r := 0; r < g.rows; r++ {
				if g.cells[r*g.cols+fi] < 0 {
					return nil, badRequest("Invalid input. %s[%d] has no value for %s, which the other records have",
						what, r, f.label())
				}
			}
		}
	}
	return g, nil
}

// positionalRecords feeds the single model input the records' values, the
// columns in the first record's key order.
func (dec *Decoder) positionalRecords(d *doc, v int32, req *Request) error {
	first := d.first(v)
	if d.nodes[first].kind != kindObject {
		return badRequest("Invalid input. dataframe_records[0] must be an object (a record); got %s", kindName(d, first))
	}
	col := map[string]int{}
	var names []string
	for k := d.first(first); k >= 0; k = d.nodes[d.nodes[k].next].next {
		name := d.text(k)
		if _, dup := col[name]; !dup {
			col[name] = len(names)
			names = append(names, name)
		}
	}
	// Check every record's size first, so the grid is no larger than the
	// body's values.
	r := 0
	for rec := d.first(v); rec >= 0; rec = d.nodes[rec].next {
		if d.nodes[rec].kind != kindObject {
			return badRequest("Invalid input. dataframe_records[%d] must be an object (a record); got %s", r, kindName(d, rec))
		}
		if d.nodes[rec].n != d.nodes[first].n {
			return badRequest("Invalid input. dataframe_records[%d] has %d keys, record 0 has %d", r,
				d.nodes[rec].n, d.nodes[first].n)
		}
		r++
	}
	g := newGrid(int(d.nodes[v].n), len(names))
	r = 0
	for rec := d.first(v); rec >= 0; rec = d.nodes[rec].next {
		for k := d.first(rec); k >= 0; {
			val := d.nodes[k].next
			c, ok := col[d.text(k)]
			if !ok {
				return badRequest("Invalid input. dataframe_records[%d] has the key %q, which record 0 lacks", r, d.text(k))
			}
			g.cells[r*g.cols+c] = val
			k = d.nodes[val].next
		}
		for c, name := range names {
			if g.cells[r*g.cols+c] < 0 {
				return badRequest("Invalid input. dataframe_records[%d] has no value for %q, which record 0 has", r, name)
			}
		}
		r++
	}
	return dec.positionalGrid(d, g, req)
}

// positionalGrid feeds a grid of scalar cells to the single model input
// as a [rows, cols] matrix.
func (dec *Decoder) positionalGrid(d *doc, g *grid, req *Request) error {
	f := &dec.fields[0]
	for _, c := range g.cells {
		if k := d.nodes[c].kind; k == kindArray || k == kindObject {
			return badRequest("Invalid input. A dataframe for %s must hold single values; got %s", f.label(), kindName(d, c))
		}
	}
	return dec.finishTensor(d, f, []int64{int64(g.rows), int64(g.cols)}, g.cells, true, req)
}

// fromTFServing reads the "instances" or "inputs" field.
func (dec *Decoder) fromTFServing(d *doc, key string, v int32, req *Request) error {
	n := &d.nodes[v]
	if dec.mode == modeColumns {
		req.Columnar = true
		switch {
		case n.kind == kindObject:
			return dec.fromColumnDict(d, v, req)
		case n.kind == kindArray && n.n > 0 && d.firstKind(v) == kindObject:
			g, err := dec.recordGrid(d, v, key)
			if err != nil {
				return err
			}
			return dec.fromGrid(d, g, req)
		}
		// Lists of lists or values have no column names.
		return dec.allMissing()
	}
	if !dec.named {
		switch {
		case n.kind == kindObject:
			return badRequest("Invalid input. Failed to parse input data. This model contains an un-named model " +
				"signature which expects a single n-dimensional array or a single value as input, however, an " +
				"input of type <class 'dict'> was found.")
		case n.kind == kindArray && n.n == 0:
			return invalidParam("Failed to enforce schema of data with schema %s. Error: %s is empty.",
				dec.schemaString(), key)
		case n.kind == kindArray && d.firstKind(v) == kindObject:
			return invalidParam("Failed to enforce schema of data with schema %s. Error: This model contains a "+
				"tensor-based model signature with no input names, which suggests a numpy array input, but a list "+
				"of objects was found in %s.", dec.schemaString(), key)
		}
		return dec.fromNested(d, v, req, false)
	}
	switch {
	case n.kind == kindObject:
		return dec.fromTensorDict(d, v, req)
	case n.kind == kindArray && n.n == 0:
		return invalidParam("Failed to enforce schema of data with schema %s. Error: %s is empty.",
			dec.schemaString(), key)
	case n.kind == kindArray && d.firstKind(v) == kindObject:
		// TF Serving's row format: one object per instance, stacked.
		g, err := dec.recordGrid(d, v, key)
		if err != nil {
			return err
		}
		return dec.fromGrid(d, g, req)
	case len(dec.fields) == 1:
		return dec.fromNested(d, v, req, false)
	}
	return dec.missingError(func(int) bool { return false })
}

// fromColumnDict reads {"a": [1, 2], "b": [3, 4]} (or scalars for one row)
// for a column-based model.
func (dec *Decoder) fromColumnDict(d *doc, v int32, req *Request) error {
	vals := make([]int32, len(dec.fields))
	lists := make([]bool, len(dec.fields))
	rows := -1
	longest := ""
	for fi := range dec.fields {
		f := &dec.fields[fi]
		vals[fi] = d.member(v, f.name)
		c := vals[fi]
		if c < 0 {
			continue
		}
		n := &d.nodes[c]
		lists[fi] = n.kind == kindArray && (!f.array || n.n == 0 || d.firstKind(c) == kindArray)
		if !lists[fi] {
			continue
		}
		if rows >= 0 && int(n.n) != rows {
			return badRequest("Invalid input. All columns must have the same length: %s has %d values, %s has %d",
				longest, rows, f.label(), n.n)
		}
		rows, longest = int(n.n), f.label()
	}
	if err := dec.missingError(func(fi int) bool { return vals[fi] >= 0 }); err != nil {
		return err
	}
	if rows < 0 {
		rows = 1 // all scalars: one row
	}
	if rows == 0 {
		return invalidParam("Failed to enforce schema of data with schema %s. Error: the columns are empty.",
			dec.schemaString())
	}
	g := newGrid(rows, len(dec.fields))
	for fi, c := range vals {
		switch {
		case c < 0:
		case lists[fi]:
			r := 0
			for e := d.first(c); e >= 0; e = d.nodes[e].next {
				g.cells[r*g.cols+fi] = e
				r++
			}
		default: // a scalar is repeated down the column, as pandas does
			for r := 0; r < rows; r++ {
				g.cells[r*g.cols+fi] = c
			}
		}
	}
	return dec.fromGrid(d, g, req)
}

// decodeCSV reads a CSV table whose first row names the columns.
func (dec *Decoder) decodeCSV(d *doc, body string) (*Request, error) {
	d.src = body
	d.nodes = d.nodes[:0]
	d.ext = d.ext[:0]
	if dec.tensorSig {
		// MLflow fails the same way: "TensorSpec only supports numpy types".
		return nil, badRequest("Failed to parse input as a Pandas DataFrame. CSV input is not supported for a " +
			"model with a tensor-based signature; send JSON (inputs, instances or dataframe_split)")
	}
	r := csv.NewReader(strings.NewReader(body))
	recs, err := r.ReadAll()
	if err != nil {
		return nil, badRequest("Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "+
			"CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: %v", err)
	}
	if len(recs) == 0 {
		return nil, badRequest("Failed to parse input as a Pandas DataFrame: the CSV body is empty; send a header row " +
			"naming the columns, then the data rows")
	}
	header, rows := recs[0], recs[1:]
	req := &Request{Columnar: true}
	if dec.positional {
		if len(rows) == 0 {
			return nil, badRequest("Invalid input. The CSV body has a header but no data rows")
		}
		g := newGrid(len(rows), len(header))
		for r, rec := range rows {
			for c, cell := range rec {
				g.cells[r*g.cols+c] = d.addExt(cell)
			}
		}
		return req, dec.positionalGrid(d, g, req)
	}
	colOf := make([]int, len(header))
	present := make([]bool, len(dec.fields))
	for j, name := range header {
		fi, ok := dec.byName[name]
		if !ok || present[fi] {
			fi = -1
		} else {
			present[fi] = true
		}
		colOf[j] = fi
	}
	if err := dec.missingError(func(fi int) bool { return present[fi] }); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, badRequest("Invalid input. The CSV body has a header but no data rows")
	}
	g := newGrid(len(rows), len(dec.fields))
	for r, rec := range rows {
		for c, cell := range rec {
			if fi := colOf[c]; fi >= 0 {
				if cell == "" && dec.fields[fi].typ.kind != ekString {
					continue // an empty cell is a missing value
				}
				g.cells[r*g.cols+fi] = d.addExt(cell)
			}
		}
	}
	for fi, f := range dec.fields {
		if !f.required {
			continue
		}
		for r := 0; r < g.rows; r++ {
			if g.cells[r*g.cols+fi] < 0 {
				return nil, badRequest("Invalid input. Failed to convert column %s to type '%s': "+
					"the CSV cell in row %d is empty", f.name, f.typ.dtype, r)
			}
		}
	}
	if err := dec.fromGrid(d, g, req); err != nil {
		return nil, err
	}
	return req, nil
}
