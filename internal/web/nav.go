package web

import (
	"html/template"
	"sort"
	"strings"

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

// MenuLinks lays out the menu's links once for the page: the layout shows
// the same links twice (the wide menu and the folded one for phones), and
// laying them out in Go instead of by the template's reflection was a
// tenth of a page's cost on the busiest pages. Every text is escaped
// here as the template would.
func (p *Page) MenuLinks() template.HTML {
	if p.menu != "" || p.Actor == nil {
		return p.menu
	}
	var b strings.Builder
	esc := template.HTMLEscapeString
	for _, it := range p.Menu() {
		b.WriteString(`<a href="`)
		b.WriteString(esc(it.Href))
		b.WriteString(`"`)
		if it.Nav == p.Nav {
			b.WriteString(` aria-current="page"`)
		}
		b.WriteString(`>`)
		b.WriteString(esc(p.L.T(it.Key)))
		if it.Nav == "dashboard" && p.ToDo != 0 {
			b.WriteString(` <span class="todo-count" title="`)
			b.WriteString(esc(p.L.T("workbench.todo_badge", p.ToDo)))
			b.WriteString(`">`)
			b.WriteString(esc(p.L.Num(p.ToDo)))
			b.WriteString(`<span class="visually-hidden"> `)
			b.WriteString(esc(p.L.T("workbench.todo_waiting")))
			b.WriteString(`</span></span>`)
		}
		b.WriteString(`</a>`)
	}
	p.menu = template.HTML(b.String())
	return p.menu
}
