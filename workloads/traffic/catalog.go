package traffic

// builtin is the default catalog: believable microservices of an online
// shop, each with REST routes in the order of their typical popularity.
// The first Traffic.Services of them make up a zero-config workload
// (order, user, payment, auth, inventory by default). Routes carry a method,
// a template whose "{id}" is a number, and a typical latency.
var builtin = []catalogService{
	{"order", []catalogRoute{
		{"GET", "/orders/{id}", 12}, {"POST", "/orders", 45}, {"GET", "/orders", 25}, {"POST", "/checkout", 80},
		{"GET", "/orders/{id}/items", 15}, {"GET", "/invoices/{id}", 18}, {"POST", "/returns", 40}, {"PUT", "/orders/{id}/cancel", 35},
		{"GET", "/checkout/{id}/status", 8}, {"GET", "/returns/{id}", 14},
	}},
	{"user", []catalogRoute{
		{"GET", "/users/{id}", 6}, {"GET", "/profiles/{id}", 9}, {"PATCH", "/users/{id}", 20}, {"GET", "/users/{id}/addresses", 10},
		{"POST", "/signup", 60}, {"GET", "/users/{id}/preferences", 7}, {"POST", "/users/{id}/addresses", 22}, {"DELETE", "/users/{id}", 30},
	}},
	{"payment", []catalogRoute{
		{"POST", "/payments", 120}, {"GET", "/payments/{id}", 15}, {"POST", "/payments/{id}/capture", 90}, {"GET", "/wallets/{id}", 12},
		{"POST", "/payments/{id}/refund", 110}, {"GET", "/payment-methods", 10}, {"POST", "/payouts", 150}, {"POST", "/webhooks/psp", 25},
	}},
	{"auth", []catalogRoute{
		{"POST", "/token", 20}, {"POST", "/token/refresh", 12}, {"POST", "/login", 70}, {"GET", "/sessions/{id}", 4},
		{"POST", "/logout", 8}, {"GET", "/jwks", 2}, {"POST", "/mfa/verify", 30}, {"POST", "/password/reset", 45},
	}},
	{"inventory", []catalogRoute{
		{"GET", "/stock/{id}", 5}, {"POST", "/reservations", 25}, {"DELETE", "/reservations/{id}", 18}, {"PUT", "/stock/{id}", 20},
		{"GET", "/warehouses/{id}/stock", 30}, {"GET", "/stock", 40}, {"POST", "/restock", 55}, {"GET", "/warehouses/{id}", 6},
	}},
	{"catalog", []catalogRoute{
		{"GET", "/products/{id}", 8}, {"GET", "/products", 30}, {"GET", "/categories/{id}", 12}, {"GET", "/products/{id}/variants", 10},
		{"GET", "/categories", 6}, {"GET", "/brands/{id}", 7}, {"GET", "/products/{id}/media", 9}, {"POST", "/products", 50},
	}},
	{"cart", []catalogRoute{
		{"GET", "/cart/{id}", 6}, {"POST", "/cart/{id}/items", 15}, {"PUT", "/cart/{id}/items/{id}", 14}, {"DELETE", "/cart/{id}/items/{id}", 12},
		{"POST", "/cart/{id}/coupons", 25}, {"GET", "/wishlist/{id}", 8}, {"POST", "/wishlist/{id}", 12}, {"DELETE", "/cart/{id}", 10},
	}},
	{"shipping", []catalogRoute{
		{"GET", "/tracking/{id}", 20}, {"GET", "/rates", 60}, {"POST", "/shipments", 70}, {"GET", "/shipments/{id}", 12},
		{"POST", "/labels", 90}, {"GET", "/pickup-points", 35}, {"PUT", "/shipments/{id}/address", 30}, {"GET", "/carriers", 5},
	}},
	{"notification", []catalogRoute{
		{"POST", "/push", 15}, {"POST", "/email", 40}, {"POST", "/sms", 55}, {"GET", "/inbox/{id}", 10},
		{"POST", "/notifications", 20}, {"GET", "/notifications/{id}", 6}, {"PUT", "/subscriptions/{id}", 14}, {"GET", "/templates/{id}", 4},
	}},
	{"search", []catalogRoute{
		{"GET", "/search", 45}, {"GET", "/autocomplete", 9}, {"GET", "/suggest", 12}, {"GET", "/search/products", 50},
		{"GET", "/trending", 15}, {"GET", "/search/orders", 35}, {"POST", "/index", 80}, {"POST", "/reindex", 400},
	}},
	{"recommendation", []catalogRoute{
		{"GET", "/recommendations/{id}", 35}, {"GET", "/similar/{id}", 25}, {"GET", "/home-feed/{id}", 60}, {"POST", "/events", 8},
		{"GET", "/bought-together/{id}", 30}, {"GET", "/recently-viewed/{id}", 10}, {"GET", "/bestsellers", 20}, {"POST", "/feedback", 12},
	}},
	{"review", []catalogRoute{
		{"GET", "/reviews/{id}", 9}, {"GET", "/ratings/{id}", 5}, {"POST", "/reviews", 35}, {"GET", "/questions/{id}", 11},
		{"POST", "/questions", 30}, {"PUT", "/reviews/{id}", 25}, {"POST", "/reviews/{id}/helpful", 8}, {"DELETE", "/reviews/{id}", 20},
	}},
	{"pricing", []catalogRoute{
		{"GET", "/prices/{id}", 4}, {"POST", "/quotes", 22}, {"GET", "/promotions", 15}, {"GET", "/discounts/{id}", 7},
		{"POST", "/tax/calculate", 18}, {"GET", "/currencies", 3}, {"PUT", "/prices/{id}", 25}, {"POST", "/promotions", 40},
	}},
	{"loyalty", []catalogRoute{
		{"GET", "/points/{id}", 6}, {"POST", "/points/{id}/earn", 18}, {"POST", "/points/{id}/redeem", 28}, {"GET", "/tiers/{id}", 5},
		{"GET", "/rewards", 12}, {"POST", "/referrals", 30}, {"GET", "/referrals/{id}", 8}, {"GET", "/campaigns", 14},
	}},
	{"fraud", []catalogRoute{
		{"POST", "/score", 35}, {"POST", "/checks", 60}, {"GET", "/checks/{id}", 10}, {"POST", "/devices", 15},
		{"GET", "/rules", 8}, {"POST", "/cases", 45}, {"GET", "/cases/{id}", 12}, {"PUT", "/rules/{id}", 20},
	}},
	{"media", []catalogRoute{
		{"GET", "/images/{id}", 3}, {"GET", "/thumbnails/{id}", 2}, {"POST", "/uploads", 200}, {"GET", "/videos/{id}", 5},
		{"DELETE", "/images/{id}", 15}, {"POST", "/transcode", 500}, {"GET", "/uploads/{id}/status", 6}, {"GET", "/assets", 20},
	}},
	{"gateway", []catalogRoute{
		{"GET", "/health", 1}, {"GET", "/ready", 1}, {"GET", "/config", 4}, {"GET", "/routes", 3},
		{"POST", "/graphql", 70}, {"GET", "/metrics", 6}, {"GET", "/version", 1}, {"POST", "/batch", 90},
	}},
}

type catalogService struct {
	base   string
	routes []catalogRoute
}

type catalogRoute struct {
	method string
	path   string
	// latencyMs is the typical (median-ish) latency.
	latencyMs uint32
}

// genericRoutes make up the paths of a listed service the catalog doesn't
// know; "%s" is its base name.
var genericRoutes = []catalogRoute{
	{"GET", "/%s/{id}", 10}, {"GET", "/%s", 25}, {"POST", "/%s", 40}, {"PUT", "/%s/{id}", 30},
	{"DELETE", "/%s/{id}", 20}, {"GET", "/%s/{id}/history", 35}, {"GET", "/%s/search", 45}, {"POST", "/%s/{id}/actions", 50},
}

func findCatalog(base string) *catalogService {
	for i := range builtin {
		if builtin[i].base == base {
			return &builtin[i]
		}
	}
	return nil
}
