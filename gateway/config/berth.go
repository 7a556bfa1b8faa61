package config

import (
	"fmt"
	"strconv"
	"time"
)

// parseBerthFields reads berth's own endpoint members: timeout,
// max_retries, fallbacks.
func parseBerthFields(ep *Endpoint, m map[string]any) error {
	if v, ok := m["timeout"]; ok && v != nil {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return errorf("Endpoint '%s': timeout %v is not a positive duration (e.g. 30s, or 30 for seconds)", ep.Name, v)
		}
		ep.Timeout = d
	}
	if v, ok := m["max_retries"]; ok && v != nil {
		n, ok := v.(int)
		if !ok || n < 0 || n > 10 {
			return errorf("Endpoint '%s': max_retries %v is not a whole number from 0 to 10", ep.Name, v)
		}
		ep.MaxRetries = n
	}
	if v, ok := m["fallbacks"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return errorf("Endpoint '%s': fallbacks is not a list of endpoint names", ep.Name)
		}
		for _, f := range list {
			s, ok := f.(string)
			if !ok {
				return errorf("Endpoint '%s': fallbacks is not a list of endpoint names", ep.Name)
			}
			ep.Fallbacks = append(ep.Fallbacks, s)
		}
	}
	return nil
}

func parseDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case int:
		return time.Duration(x) * time.Second, nil
	case float64:
		return time.Duration(x * float64(time.Second)), nil
	case string:
		if n, err := strconv.ParseFloat(x, 64); err == nil {
			return time.Duration(n * float64(time.Second)), nil
		}
		return time.ParseDuration(x)
	}
	return 0, fmt.Errorf("not a duration")
}

// checkFallbacks checks that every fallback names another endpoint of the
// same type.
func checkFallbacks(cfg *Config) error {
	byName := make(map[string]*Endpoint, len(cfg.Endpoints))
	for i := range cfg.Endpoints {
		byName[cfg.Endpoints[i].Name] = &cfg.Endpoints[i]
	}
	for _, ep := range cfg.Endpoints {
		for _, f := range ep.Fallbacks {
			fb, ok := byName[f]
			switch {
			case !ok:
				return errorf("Endpoint '%s': fallback '%s' is not an endpoint in the configuration", ep.Name, f)
			case f == ep.Name:
				return errorf("Endpoint '%s': an endpoint cannot be its own fallback", ep.Name)
			case fb.EndpointType != ep.EndpointType:
				return errorf("Endpoint '%s': fallback '%s' is a %s endpoint, not %s", ep.Name, f, fb.EndpointType, ep.EndpointType)
			}
		}
	}
	return nil
}

// parseRoutes reads MLflow 3's traffic routes.
func parseRoutes(v any, cfg *Config) ([]Route, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, validation(fieldError{loc: "routes", msg: "value is not a valid list", typ: "type_error.list"})
	}
	byName := map[string]string{}
	for _, ep := range cfg.Endpoints {
		byName[ep.Name] = ep.EndpointType
	}
	var routes []Route
	for i, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, validation(fieldError{loc: fmt.Sprintf("routes -> %d", i), msg: "value is not a valid dict", typ: "type_error.dict"})
		}
		rt := Route{Name: scalarString(m["name"]), TaskType: scalarString(m["task_type"])}
		if !ValidName(rt.Name) {
			return nil, errorf("The route name provided contains disallowed characters for a url endpoint. '%s' is invalid. Names cannot contain spaces or any non alphanumeric characters other than hyphen and underscore.", rt.Name)
		}
		if _, dup := byName[rt.Name]; dup {
			return nil, errorf("Duplicate names found in endpoint configurations. Please remove the duplicate endpoint name from the configuration to ensure that endpoints are created properly.")
		}
		if s, ok := m["routing_strategy"]; ok && scalarString(s) != "TRAFFIC_SPLIT" {
			return nil, errorf("Route '%s': routing_strategy '%v' is not supported (TRAFFIC_SPLIT is)", rt.Name, s)
		}
		dests, _ := m["destinations"].([]any)
		total := 0
		for _, d := range dests {
			dm, _ := d.(map[string]any)
			name := scalarString(dm["name"])
			pct, ok := dm["traffic_percentage"].(int)
			if !ok || pct < 0 || pct > 100 {
				return nil, errorf("Route '%s': destination '%s' needs a traffic_percentage from 0 to 100", rt.Name, name)
			}
			typ, ok := byName[name]
			if !ok {
				return nil, errorf("Route '%s': destination '%s' is not an endpoint in the configuration", rt.Name, name)
			}
			if rt.TaskType == "None" {
				rt.TaskType = typ
			}
			if typ != rt.TaskType {
				return nil, errorf("Route '%s': destination '%s' is a %s endpoint, not %s", rt.Name, name, typ, rt.TaskType)
			}
			total += pct
			rt.Destinations = append(rt.Destinations, Destination{Endpoint: name, TrafficPercentage: pct})
		}
		if len(rt.Destinations) == 0 {
			return nil, errorf("Route '%s' has no destinations", rt.Name)
		}
		if total != 100 {
			return nil, errorf("Route '%s': the traffic percentages of its destinations sum to %d, not 100", rt.Name, total)
		}
		byName[rt.Name] = rt.TaskType
		routes = append(routes, rt)
	}
	return routes, nil
}
