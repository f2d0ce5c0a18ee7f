// Reads agencies: and services: and resolves depends_on once every service is known (see
// sections.hpp). A service's checks are read by checks.cpp.
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"

namespace pantau::config_detail {

namespace {

// depends_on: [akta-online, dukcapil/siak, ...]: service ids, or agency/service. The
// references are checked once every service is known (resolve_dependencies).
void read_depends_on(const field_reader& ctx, const field& f, const std::string& owner,
                     const std::string& check, std::vector<std::string>& out,
                     dependency_marks& marks) {
    ctx.for_each_text(f, [&](std::string name, const YAML::Mark& mark) {
        if (name.empty()) {
            ctx.fail(mark, "depends_on needs service ids, e.g. depends_on: [uplink-dc]");
        }
        marks[{owner, check, out.size()}] = mark;
        out.push_back(std::move(name));
    });
}

// The first depends_on entry written for a service (or one of its checks).
YAML::Mark first_mark(const dependency_marks& marks, const std::string& owner) {
    for (const auto& [ref, mark] : marks) {
        if (std::get<0>(ref) == owner) {
            return mark;
        }
    }
    return {};
}

} // namespace

void read_agencies(const field_reader& ctx, const field& section, config& cfg,
                   agency_index& agencies) {
    ctx.expect_list(section);
    cfg.agencies.reserve(section.value.size());
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const field item{"agency", section.key, *it, true};
        ctx.expect_map(item);
        const auto f = ctx.read_fields(item.value, "in agency", agency_keys);
        ctx.require(f[a_id], item.value, "agency", "id: dukcapil");
        agency_config agency;
        agency.where = ctx.at(item.value.Mark());
        agency.id = ctx.read_id(f[a_id], "agency id", "dukcapil");
        agency.name = f[a_name].present ? ctx.text(f[a_name]) : agency.id;
        if (f[a_escalation].present) {
            agency.escalation = ctx.text(f[a_escalation]);
            check_policy(ctx, f[a_escalation], *agency.escalation, cfg);
        }
        const auto [existing, inserted] =
            agencies.lines.emplace(agency.id, ctx.at(value_mark(f[a_id])).line);
        if (!inserted) {
            ctx.fail(value_mark(f[a_id]), "duplicate agency id " + quoted(agency.id) +
                                              " (first defined at line " +
                                              std::to_string(existing->second) + ")");
        }
        agencies.ids.push_back(agency.id);
        cfg.agencies.push_back(std::move(agency));
    }
}

void read_services(const field_reader& ctx, const field& section, config& cfg,
                   const agency_index& agencies, dependency_marks& marks) {
    ctx.expect_list(section);
    cfg.services.reserve(section.value.size());
    std::unordered_map<std::string, int> service_lines;
    service_lines.reserve(section.value.size());
    // depends_on of the checks of the service being read, by check id.
    std::unordered_map<std::string, field> check_depends;
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const field item{"service", section.key, *it, true};
        ctx.expect_map(item);
        const auto f = ctx.read_fields(item.value, "in service", service_keys);
        ctx.require(f[s_id], item.value, "service", "id: akta-online");
        service_config svc;
        svc.where = ctx.at(item.value.Mark());
        svc.id = ctx.read_id(f[s_id], "service id", "akta-online");
        const auto [existing, inserted] =
            service_lines.emplace(svc.id, ctx.at(value_mark(f[s_id])).line);
        if (!inserted) {
            ctx.fail(value_mark(f[s_id]),
                     "duplicate service id " + quoted(svc.id) + " (first defined at line " +
                         std::to_string(existing->second) + "); service ids must be unique");
        }
        ctx.require(f[s_agency], item.value, "service",
                    "agency: dukcapil (the id of an agency under \"agencies:\")");
        ctx.require(f[s_checks], item.value, "service",
                    "checks: [{id: portal, http: {url: \"https://example.go.id/\"}}]");
        svc.name = f[s_name].present ? ctx.text(f[s_name]) : svc.id;
        svc.agency = ctx.text(f[s_agency]);
        if (agencies.lines.count(svc.agency) == 0) {
            ctx.fail_undefined(value_mark(f[s_agency]), "agency", "agencies", svc.agency,
                               agencies.ids, "agencies");
        }
        if (f[s_objective].present) {
            svc.objective = ctx.read_percent(f[s_objective]);
        }
        if (f[s_escalation].present) {
            svc.escalation = ctx.text(f[s_escalation]);
            check_policy(ctx, f[s_escalation], *svc.escalation, cfg);
        }
        if (f[s_hours].present) {
            std::string hours = ctx.text(f[s_hours]);
            if (hours == always_open) {
                svc.always_open = true;
            } else {
                check_calendar(ctx, f[s_hours], hours, cfg);
                svc.hours = std::move(hours);
            }
        }
        check_scope scope{cfg, svc.always_open, check_depends};
        read_checks(ctx, f[s_checks], scope, svc);
        const std::string key = svc.agency + "/" + svc.id;
        if (f[s_depends_on].present) {
            read_depends_on(ctx, f[s_depends_on], key, {}, svc.depends_on, marks);
        }
        for (check_config& check : svc.checks) {
            const auto dep = check_depends.find(check.id);
            if (dep != check_depends.end()) {
                read_depends_on(ctx, dep->second, key, check.id, check.depends_on, marks);
            }
        }
        check_depends.clear();
        cfg.services.push_back(std::move(svc));
    }
}

// Turns every depends_on entry into "agency/service", refusing unknown services, a
// service depending on itself and cycles.
void resolve_dependencies(const field_reader& ctx, config& cfg, dependency_marks& marks) {
    if (marks.empty()) {
        return;
    }
    std::unordered_map<std::string, std::string> by_id; // service id -> agency/service
    std::vector<std::string_view> ids;
    for (const service_config& svc : cfg.services) {
        by_id.emplace(svc.id, svc.agency + "/" + svc.id);
        ids.emplace_back(svc.id);
    }
    std::map<std::string, std::vector<std::string>> edges;
    for (service_config& svc : cfg.services) {
        const std::string self = svc.agency + "/" + svc.id;
        const auto resolve = [&](std::vector<std::string>& list, const std::string& check) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                std::string& name = list[i];
                const YAML::Mark mark = marks[{self, check, i}];
                const std::size_t slash = name.find('/');
                const std::string id = slash == std::string::npos ? name : name.substr(slash + 1);
                const auto found = by_id.find(id);
                if (found == by_id.end() || (slash != std::string::npos && found->second != name)) {
                    ctx.fail_undefined(mark, "service", "services", name, ids, "services");
                }
                if (found->second == self) {
                    ctx.fail(mark, "service " + quoted(self) + " cannot depend on itself");
                }
                name = found->second;
                edges[self].push_back(name);
            }
        };
        resolve(svc.depends_on, {});
        for (check_config& check : svc.checks) {
            resolve(check.depends_on, check.id);
        }
    }
    // Cycles: depth-first search, colouring services in progress.
    std::unordered_map<std::string, int> colour; // 1: in progress, 2: done
    std::vector<std::string> path;
    std::function<void(const std::string&)> visit = [&](const std::string& key) {
        colour[key] = 1;
        path.push_back(key);
        for (const std::string& next : edges[key]) {
            if (colour[next] == 1) {
                std::string cycle;
                for (auto it = std::find(path.begin(), path.end(), next); it != path.end(); ++it) {
                    cycle += *it + " -> ";
                }
                cycle += next;
                ctx.fail(first_mark(marks, key), "depends_on makes a cycle: " + cycle +
                                                     "; a service cannot depend on itself through "
                                                     "others");
            }
            if (colour[next] == 0) {
                visit(next);
            }
        }
        path.pop_back();
        colour[key] = 2;
    };
    for (const auto& entry : edges) {
        if (colour[entry.first] == 0) {
            visit(entry.first);
        }
    }
    marks.clear();
}

} // namespace pantau::config_detail
