package workloads

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/safetext"
)

// cronJobFindings: a suspended CronJob, and one that should have run at least twice since it
// was created and never did (the cronjob controller is off, or its schedule is not what was
// meant). The schedule is read by the parser the cronjob controller uses.
func cronJobFindings(c *batchv1.CronJob, now time.Time) []checks.Finding {
	o := ref("batch/v1", "CronJob", c)
	get := checks.Cmd("kubectl", "get", "cronjob", "-n", c.Namespace, c.Name, "-o", "wide")
	schedule := "schedule: " + safetext.Visible(c.Spec.Schedule)
	if c.Spec.Suspend != nil && *c.Spec.Suspend {
		return []checks.Finding{{
			Severity: checks.StatusWarn, Problem: "suspended", Object: o,
			Message:  fmt.Sprintf("CronJob %s is suspended: it starts no Job", safetext.Visible(c.Namespace+"/"+c.Name)),
			Evidence: []string{"spec.suspend: true", schedule},
			Hint:     "If the pause is over, set spec.suspend to false; missed runs within startingDeadlineSeconds then start.",
			Commands: []checks.Command{get},
		}}
	}
	if c.Status.LastScheduleTime != nil {
		return nil
	}
	sched, err := cron.ParseStandard(withTimeZone(c))
	if err != nil {
		return []checks.Finding{{
			Severity: checks.StatusFail, Problem: "bad-schedule", Object: o,
			Message:  fmt.Sprintf("CronJob %s has a schedule the cronjob controller cannot read", safetext.Visible(c.Namespace+"/"+c.Name)),
			Evidence: []string{schedule, safetext.Visible(err.Error())},
			Hint:     "Write the schedule in the five-field cron format (minute hour day month weekday) or a descriptor such as @hourly.",
			Commands: []checks.Command{get},
		}}
	}
	next := c.CreationTimestamp.Time
	for missed := 0; missed < neverScheduledAfter; missed++ {
		next = sched.Next(next)
		if next.IsZero() || next.After(now) {
			return nil
		}
	}
	return []checks.Finding{{
		Severity: checks.StatusFail, Problem: "never-scheduled", Object: o,
		Message: fmt.Sprintf("CronJob %s never ran, though its schedule came due since it was created %s",
			safetext.Visible(c.Namespace+"/"+c.Name), phrase.Ago(now, c.CreationTimestamp.Time)),
		Evidence: []string{schedule, "status.lastScheduleTime: none",
			"kube-controller-manager --controllers without \"cronjob\" leaves it so; see api.control-plane"},
		Hint:     "The cronjob controller has not acted: check kube-controller-manager runs with the cronjob controller on. If it does, its log says why it skips this CronJob (a startingDeadlineSeconds too short for the missed runs).",
		Commands: []checks.Command{get, checks.Cmd("kubectl", "get", "jobs", "-n", c.Namespace)},
	}}
}

// withTimeZone prefixes the schedule with the CronJob's time zone, as the controller does.
func withTimeZone(c *batchv1.CronJob) string {
	if c.Spec.TimeZone == nil || *c.Spec.TimeZone == "" {
		return c.Spec.Schedule
	}
	return "CRON_TZ=" + *c.Spec.TimeZone + " " + c.Spec.Schedule
}
