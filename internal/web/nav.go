package web

import (
	"sort"

	"parley/internal/access"
)

// NavItem is one entry of the main menu.
type NavItem struct {
	Order int    // position; lower first
	Key   string // message key of the label
	Href  string
	Nav   string // the Page.Nav value that marks it current
	// Show decides whether the actor sees the item; it should match what
	// the service lets the actor do there, so that no menu item leads to a
	// refusal.
	Show func(a access.Actor) bool
}

var navItems []NavItem

// AddNav adds a menu item; areas of the workbench call it from init.
func AddNav(item NavItem) {
	navItems = append(navItems, item)
	sort.SliceStable(navItems, func(i, j int) bool { return navItems[i].Order < navItems[j].Order })
}

func seesLists(a access.Actor) bool {
	return a.Has(access.Officer) || a.Has(access.Mediator) || a.Has(access.Observer)
}

func init() {
	AddNav(NavItem{Order: 0, Key: "nav.dashboard", Href: "/", Nav: "dashboard", Show: func(access.Actor) bool { return true }})
	AddNav(NavItem{Order: 10, Key: "nav.lists", Href: "/lists", Nav: "lists", Show: seesLists})
	AddNav(NavItem{Order: 20, Key: "nav.registry", Href: "/registry", Nav: "registry", Show: func(a access.Actor) bool { return a.Has(access.Officer) }})
	AddNav(NavItem{Order: 80, Key: "nav.accesslog", Href: "/access-log", Nav: "accesslog", Show: access.Actor.CanReviewAccessLog})
	AddNav(NavItem{Order: 90, Key: "nav.users", Href: "/users", Nav: "users", Show: func(a access.Actor) bool { return a.Has(access.Admin) }})
}

// Menu returns the menu items the page's actor sees.
func (p *Page) Menu() []NavItem {
	if p.Actor == nil {
		return nil
	}
	var out []NavItem
	for _, it := range navItems {
		if it.Show == nil || it.Show(*p.Actor) {
			out = append(out, it)
		}
	}
	return out
}
