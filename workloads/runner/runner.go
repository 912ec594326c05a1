// Package runner executes experiments: it brings up the broker (embedded or
// external), creates a fresh topic per variant, starts the consumer groups,
// drives the paced producers, drains, and turns every recorder into a
// report.Result.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/resources"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options tune a run beyond what the experiment file says.
type Options struct {
	// Brokers of an external cluster; empty starts the embedded broker.
	Brokers []string
	// probe is set by a capacity search for each of its probes.
	probe *ProbeInfo
	// Net carries TLS/SASL for an external cluster.
	Net driver.Net
	// Log receives human-readable progress notes (stderr). Nil discards.
	Log io.Writer
	// Progress, when set, is called about once a second during a variant.
	Progress func(Progress)
	// Observer, when set, gets a Snapshot of every counter about once a
	// second during a variant and when it ends (see observe.go). Default
	// nil: nothing is observed, and nothing live is recorded.
	Observer Observer
	// ConnectTimeout bounds reaching the cluster. Default 10s.
	ConnectTimeout time.Duration
	// Shard makes this run one of several hosts' shares of one run
	// (`kbench run --shard I/N`). The zero value is an unsharded run.
	Shard Shard
	// Machine, when set, is the memory Preflight checks the run against
	// instead of what this machine has (tests). Default: probed.
	Machine *resources.Machine
}

// Shard is this host's share of a sharded run: N hosts each run the same
// plan with Index 0..Count-1 and the same StartAt and/or RunID.
//
//   - Producers: of producer.instances K, this shard runs the global
//     producers j with j % Count == Index, each keeping its global id j
//     (header producer id, traffic seed, rate share 1/K, message share), so
//     the N shards together send exactly what one host would.
//   - Consumers: each group's instance k runs on shard k % Count; a shard
//     may run no member of a group (it still samples the group's lag).
//   - Identity: the run id, topic and group ids derive from the plan name
//     and RunID (or StartAt), so every shard uses the same ones. Every
//     shard creates the topic (an existing one with the same partition
//     count is accepted); no shard deletes it (topic.keep is implied):
//     delete kbench topics afterwards, or let retention do it.
//   - Start: consumers start at once; producing starts at StartAt, the
//     common pacing origin, so intended send times line up across hosts.
//     Variant i starts at StartAt + Σ_{j<i} (warmup + duration + drain +
//     variantSlack) of the variants before it.
//   - Drain: a shard is drained when every group's committed lag is zero
//     on every partition, steadily for a second (its own members may be
//     waiting for messages another shard produced).
//   - Delivery: a shard reports lost = -1 and carries a delivery_state;
//     `kbench merge` computes lost and cross-shard duplicates exactly.
type Shard struct {
	Index, Count int
	// StartAt is the common start; zero starts each shard at once.
	StartAt time.Time
	// RunID names the run; with StartAt zero it is what makes the ids
	// common (and unique per run: reuse one and topics are reused).
	RunID string
}

// Sharded reports whether the run is one of several shards.
func (s Shard) Sharded() bool { return s.Count > 1 }

// owns reports whether instance k (a producer or a group member) runs here.
func (s Shard) owns(k int) bool { return !s.Sharded() || k%s.Count == s.Index }

// local counts the instances of n that run on this shard.
func (s Shard) local(n int) int {
	c := 0
	for k := 0; k < n; k++ {
		if s.owns(k) {
			c++
		}
	}
	return c
}

// String is "I/N" (0-based), "" when unsharded.
func (s Shard) String() string {
	if !s.Sharded() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// variantSlack is the set-up time allowed per variant in the common
// schedule of a sharded run (topic, consumers joining, teardown).
const variantSlack = 15 * time.Second

// sharedRunID derives the run id every shard agrees on.
func sharedRunID(planName string, s Shard) uint64 {
	h := fnv.New64a()
	h.Write([]byte(planName))
	h.Write([]byte{0})
	h.Write([]byte(s.RunID))
	h.Write([]byte{0})
	if !s.StartAt.IsZero() {
		h.Write([]byte(strconv.FormatInt(s.StartAt.UnixNano(), 10)))
	}
	return h.Sum64() &^ (0xff << 56)
}

// Progress is a live snapshot for the progress line.
type Progress struct {
	Variant  string
	Elapsed  time.Duration
	Total    time.Duration
	Sent     int64
	Acked    int64
	Rate     float64 // acked per second over the last interval
	P99Ms    float64
	MaxLag   int64
	Draining bool
}

// ErrInterrupted marks a result cut short by the caller's context.
var ErrInterrupted = errors.New("run interrupted")

// Run executes every variant of plan in order, on fresh topics; a variant
// with repeat: N runs N times, interleaved with the others, and its figures
// are the medians of its runs (see runRepeated). It always returns a
// Result, complete or not: on error or interruption it holds what was
// measured so far (Complete=false) beside the error.
func Run(ctx context.Context, plan *workloads.Plan, opt Options) (*report.Result, error) {
	if searched(plan) {
		return runSearches(ctx, plan, opt)
	}
	if repeated(plan) {
		return runRepeated(ctx, plan, opt)
	}
	return runOnce(ctx, plan, opt)
}

func runOnce(ctx context.Context, plan *workloads.Plan, opt Options) (*report.Result, error) {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.ConnectTimeout <= 0 {
		opt.ConnectTimeout = 10 * time.Second
	}
	res := &report.Result{
		Schema:      report.Schema,
		Experiment:  plan.Name,
		Description: plan.Description,
		StartedAt:   time.Now().UTC(),
		Shard:       opt.Shard.String(),
		Variants:    []report.Variant{},
	}
	brokers, err := clusterOf(plan, &opt)
	if err != nil {
		return res, err
	}
	var emb *broker.Embedded
	if len(brokers) == 0 {
		emb, err = broker.Start(broker.Options{Brokers: needsBrokers(plan)})
		if err != nil {
			return res, err
		}
		defer emb.Close()
		brokers = emb.Addrs()
		res.Broker = report.BrokerInfo{Kind: "embedded", Brokers: brokers, Note: broker.EmbeddedNote}
		fmt.Fprintf(opt.Log, "embedded broker listening on %s\n", strings.Join(brokers, ","))
	} else {
		res.Broker = report.BrokerInfo{Kind: "external", Brokers: brokers}
	}
	netOpts, err := driver.KgoNetOpts(opt.Net)
	if err != nil {
		return res, err
	}
	adm, err := connect(ctx, brokers, netOpts, opt.ConnectTimeout)
	if err != nil {
		return res, err
	}
	defer adm.Close()

	// An external cluster can die under the run: a watchdog stops the run
	// within seconds (the embedded broker lives and dies with this
	// process).
	outer := ctx
	if emb == nil {
		wctx, stopWatch, err := watchBrokers(ctx, brokers, func() (*admin.Client, error) {
			return admin.New(admin.Options{Brokers: brokers, Extra: netOpts, DialTimeout: brokerDeadAfter})
		}, opt.Log)
		if err != nil {
			return res, err
		}
		defer stopWatch()
		ctx = wctx
	}

	return runVariants(ctx, outer, plan, opt, res, brokers, emb, adm)
}

// clusterOf is the external cluster to run on (--brokers, else the first
// cluster: of the plan; none: the embedded broker), with its TLS/SASL in
// opt.Net.
func clusterOf(plan *workloads.Plan, opt *Options) ([]string, error) {
	brokers := opt.Brokers
	for _, v := range plan.Variants {
		if v.Exp.Cluster == nil {
			continue
		}
		if len(brokers) == 0 {
			brokers = v.Exp.Cluster.Brokers
		}
		if opt.Net.SASL == nil && opt.Net.TLS == nil {
			n, err := clusterNet(v.Exp.Cluster)
			if err != nil {
				return nil, err
			}
			n.Dial = opt.Net.Dial
			opt.Net = n
		}
		break
	}
	return brokers, nil
}

// connect reaches the cluster (bounded), or says which broker it could
// not reach.
func connect(ctx context.Context, brokers []string, netOpts []kgo.Opt, timeout time.Duration) (*admin.Client, error) {
	adm, err := admin.New(admin.Options{Brokers: brokers, Extra: netOpts})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	err = adm.Ping(pctx)
	cancel()
	if err != nil {
		adm.Close()
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, fmt.Errorf("cannot reach (or authenticate with) broker %s within %s: %w", strings.Join(brokers, ","), timeout, err)
	}
	return adm, nil
}

// runVariants runs every variant in order, each on a fresh topic. outer
// is the caller's context: ctx ending without it means the watchdog found
// the broker dead.
func runVariants(ctx, outer context.Context, plan *workloads.Plan, opt Options, res *report.Result, brokers []string, emb *broker.Embedded, adm *admin.Client) (*report.Result, error) {
	runID := newRunID()
	if opt.Shard.Sharded() || opt.Shard.RunID != "" || !opt.Shard.StartAt.IsZero() {
		runID = sharedRunID(plan.Name, opt.Shard)
	}
	startAt := opt.Shard.StartAt
	for i, v := range plan.Variants {
		if ctx.Err() != nil {
			if dead := brokerDead(ctx); dead != nil && outer.Err() == nil {
				return res, dead
			}
			return res, ErrInterrupted
		}
		fmt.Fprintf(opt.Log, "variant %d/%d: %s\n", i+1, len(plan.Variants), v.Name)
		if emb != nil {
			if w := HostWarning(v.Exp); w != "" {
				fmt.Fprintf(opt.Log, "warning: %s\n", w)
			}
		}
		vr := &variantRun{
			name:     v.Name,
			params:   v.Params,
			exp:      v.Exp,
			brokers:  brokers,
			embedded: emb != nil,
			emb:      emb,
			adm:      adm,
			opt:      opt,
			runID:    runID ^ uint64(i)<<56,
			index:    i,
			topic:    fmt.Sprintf("%s-%08x-%d", v.Exp.Topic.Name, uint32(runID), i),
			shard:    opt.Shard,
			startAt:  startAt,
		}
		if !startAt.IsZero() {
			startAt = startAt.Add(v.Exp.Warmup.D() + v.Exp.Duration.D() + v.Exp.Drain.D() + variantSlack)
		}
		rv, err := vr.run(ctx)
		res.Variants = append(res.Variants, rv)
		vr.observeDone(&res.Variants[len(res.Variants)-1])
		if err != nil {
			// Cut short by the watchdog rather than by the caller: the
			// broker died (a runtime failure, not an interruption).
			if dead := brokerDead(ctx); dead != nil && outer.Err() == nil {
				err = dead
			}
			return res, err
		}
	}
	res.Complete = true
	res.Passed = true
	return res, nil
}

func newRunID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) &^ (0xff << 56)
}

// variantRun is the state of one variant's run.
type variantRun struct {
	name     string
	params   map[string]string
	exp      *workloads.Experiment
	brokers  []string
	embedded bool
	adm      *admin.Client
	opt      Options
	runID    uint64
	index    int // the variant's position in the plan
	topic    string
	shard    Shard
	startAt  time.Time // common start of a sharded run's variant; zero: now

	emb         *broker.Embedded
	consumerCtx context.Context

	// parts: the topic's partition count now, 0 until the topic is made
	// (see partitions); grow: its growth at topic.repartition_at, nil
	// when it does not grow (grow.go).
	parts atomic.Int32
	grow  atomic.Pointer[growth]

	producers []*producer
	groups    []*group
	sampler   *sampler
	outTopics []string // transactional groups' output topics
	faultsMu  sync.Mutex
	faults    []*faultRun

	// On an existing topic (existing.go): its end offsets at the start and
	// where the groups start; nil on a topic kbench created.
	base, startOffs []int64
	end             time.Time // end of the measured phase
	readFrom        time.Time // consume-only: when the groups started reading
}

func (vr *variantRun) run(ctx context.Context) (report.Variant, error) {
	exp := vr.exp
	out := report.Variant{Name: vr.name, Params: vr.params}
	if err := vr.createTopic(ctx); err != nil {
		return out, err
	}
	// After an interruption or a failure every remaining step of the
	// teardown shares one short deadline, so Ctrl-C ends the run within
	// seconds even when the broker stopped answering.
	td := &teardown{ctx: ctx}
	// A shard never deletes the topic: other shards may still use it.
	if !exp.Topic.Keep && !vr.shard.Sharded() {
		defer vr.deleteTopics(td)
	}
	// Consumers first, so the groups are stable before the first message.
	if err := vr.setUpConsumers(ctx, td); err != nil {
		return out, err
	}
	start, measureFrom, err := vr.startClock(ctx, td)
	if err != nil {
		return out, err
	}
	bg := vr.startBackground(ctx, start, measureFrom)
	sendEnd, runErr := vr.produce(ctx, bg)
	runErr = vr.flush(ctx, td, runErr)
	produceEnd := time.Now()

	// Drain: consumers catch up with everything acknowledged. Each
	// group's drain time runs from when the producers stopped sending.
	var drains []groupDrain // nil: the drain did not run (cut short)
	if ctx.Err() == nil && runErr == nil {
		if len(vr.groups) > 0 {
			fmt.Fprintf(vr.opt.Log, "  sending stopped; draining (up to %s)\n", exp.Drain)
		}
		drains, runErr = vr.drain(ctx, produceEnd)
		if runErr != nil || ctx.Err() != nil {
			drains = nil
		}
	}
	bg.stop()
	fmt.Fprintln(vr.opt.Log, "  tearing down")
	vr.stopConsumers(td, runErr)

	// Broker-side counts and a final lag sample.
	bctx, cancel := td.step(3*time.Second, runErr)
	hwm, hwmErr := vr.adm.EndOffsets(bctx, vr.topic, vr.partitions())
	vr.sampler.sample(bctx, true)
	cancel()
	if hwmErr != nil && runErr == nil && ctx.Err() == nil {
		runErr = fmt.Errorf("reading the broker's offsets at the end: %w", hwmErr)
	}
	out = vr.assemble(start, measureFrom, sendEnd, hwm, hwmErr, drains)
	if runErr == nil && ctx.Err() != nil {
		runErr = ErrInterrupted
	}
	return out, runErr
}

// cut maps err to ErrInterrupted when the run's context ended.
func cut(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	return err
}

// createTopic creates the variant's fresh topic (bounded).
func (vr *variantRun) createTopic(ctx context.Context) error {
	if vr.existing() {
		return vr.useExisting(ctx)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := vr.adm.CreateTopicWith(cctx, vr.topic, vr.exp.Topic.Partitions, vr.exp.Topic.Replication, vr.topicConfigs()); err != nil {
		return cut(ctx, err)
	}
	vr.parts.Store(int32(vr.exp.Topic.Partitions))
	return nil
}

// topicConfigs are the configs of the topics the variant creates: on the
// embedded broker a segment size that keeps what it holds bounded however
// many partitions (broker.TopicSegmentBytes; a topic that grows during the
// run keeps the size its first count gave it); none elsewhere, where the
// cluster's own settings apply.
func (vr *variantRun) topicConfigs() map[string]string {
	if !vr.embedded {
		return nil
	}
	return map[string]string{"segment.bytes": strconv.Itoa(broker.TopicSegmentBytes(vr.exp.Topic.Partitions))}
}

// deleteTopics deletes the variant's topic and output topics.
func (vr *variantRun) deleteTopics(td *teardown) {
	dctx, cancel := td.step(5*time.Second, nil)
	defer cancel()
	if !vr.existing() {
		_ = vr.adm.DeleteTopic(dctx, vr.topic)
	}
	for _, t := range vr.outTopics {
		_ = vr.adm.DeleteTopic(dctx, t)
	}
}

// setUpConsumers creates the groups (ids unique per run and variant),
// their verifiers and members, and waits until every group is stable. On
// failure the members started are stopped.
func (vr *variantRun) setUpConsumers(ctx context.Context, td *teardown) error {
	// Recorders take the warmup boundary from the pacing origin, set once
	// the consumers are ready (startClock); until then, from now.
	measureFrom := time.Now().Add(vr.exp.Warmup.D())
	for _, gc := range vr.exp.Consumers {
		id := fmt.Sprintf("%s-%08x-%d", gc.Group, uint32(vr.runID), vr.index)
		g := newGroup(gc, id, vr.runID, measureFrom)
		g.partitions = vr.partitions
		g.live = vr.opt.Observer != nil
		g.consumeAll = vr.exp.ConsumeOnly()
		if vr.shard.Sharded() {
			g.sameClock = func(producer uint32) bool { return vr.shard.owns(int(producer)) }
		}
		vr.groups = append(vr.groups, g)
	}
	if err := vr.startVerifiers(ctx); err != nil {
		vr.stopConsumers(td, err)
		return cut(ctx, err)
	}
	vr.consumerCtx = ctx
	if err := vr.startConsumers(ctx); err != nil {
		vr.stopConsumers(td, err)
		return err
	}
	vr.announce()
	if err := vr.waitGroupsReady(ctx); err != nil {
		vr.stopConsumers(td, err)
		return cut(ctx, err)
	}
	return nil
}

// startClock sets the pacing origin (now, or a sharded run's common
// start), the end of warmup every recorder measures from, and makes the
// producers.
func (vr *variantRun) startClock(ctx context.Context, td *teardown) (start, measureFrom time.Time, err error) {
	start = time.Now()
	if vr.exp.ConsumeOnly() {
		start = vr.readFrom // the groups read as soon as they join
	}
	if !vr.startAt.IsZero() {
		if err := vr.waitStart(ctx); err != nil {
			vr.stopConsumers(td, err)
			return start, start, cut(ctx, err)
		}
		start = vr.startAt
	}
	measureFrom = start.Add(vr.exp.Warmup.D())
	for _, g := range vr.groups {
		g.measure.Store(clock.At(measureFrom))
	}
	end := measureFrom.Add(vr.exp.Duration.D())
	if err := vr.makeProducers(start, measureFrom, end); err != nil {
		vr.stopConsumers(td, err)
		return start, measureFrom, err
	}
	return start, measureFrom, nil
}

// background is what runs beside the producers: the sampler, the fault
// schedule and the topic's growth.
type background struct {
	stopSampler, stopFaults context.CancelFunc
	samplerDone, faultsDone chan struct{}
	growDone                chan struct{}
	stopPause               func()
}

func (vr *variantRun) startBackground(ctx context.Context, start, measureFrom time.Time) *background {
	bg := &background{samplerDone: make(chan struct{}), faultsDone: make(chan struct{}), growDone: make(chan struct{})}
	vr.sampler = newSampler(vr, start, measureFrom)
	sctx, stopSampler := context.WithCancel(ctx)
	bg.stopSampler = stopSampler
	go func() { defer close(bg.samplerDone); vr.sampler.loop(sctx) }()
	fctx, stopFaults := context.WithCancel(ctx)
	bg.stopFaults = stopFaults
	go func() { defer close(bg.faultsDone); vr.scheduleFaults(fctx, start) }()
	go func() { defer close(bg.growDone); vr.scheduleGrowth(fctx, start) }()
	bg.stopPause = vr.startPauseMeters(ctx, start)
	return bg
}

// stop ends the faults and the sampler and waits for both.
func (bg *background) stop() {
	bg.stopFaults()
	<-bg.faultsDone
	<-bg.growDone
	bg.stopSampler()
	<-bg.samplerDone
	bg.stopPause()
}

// produce runs every producer until the end of the measured phase, or
// until the broker stops answering (which aborts the run instead of
// hanging it). It returns when sending ended.
func (vr *variantRun) produce(ctx context.Context, bg *background) (time.Time, error) {
	if vr.exp.ConsumeOnly() {
		return vr.consume(ctx)
	}
	pctx, stopProducing := context.WithCancel(ctx)
	defer stopProducing()
	var wg sync.WaitGroup
	errs := make([]error, len(vr.producers))
	for i, p := range vr.producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.run(pctx)
		}()
	}
	abort := make(chan error, 1)
	go func() {
		select {
		case err := <-vr.sampler.failed:
			abort <- err
			stopProducing()
		case <-pctx.Done():
		}
	}()
	wg.Wait()
	sendEnd := time.Now()
	select {
	case err := <-abort:
		return sendEnd, err
	default:
	}
	return sendEnd, errors.Join(errs...)
}

// flush waits for outstanding acknowledgements, bounded. What is still in
// flight when the bound ends is counted (produce.unacknowledged), not a
// failure of the run: the producers are sealed at that moment, before
// closing clients fail what they still hold.
func (vr *variantRun) flush(ctx context.Context, td *teardown, runErr error) error {
	flushCtx, cancel := td.step(flushBound, runErr)
	defer cancel()
	sealAll := func() {
		for _, p := range vr.producers {
			p.seal()
		}
	}
	stopSeal := context.AfterFunc(flushCtx, sealAll)
	for _, p := range vr.producers {
		err := p.drv.Close(flushCtx)
		switch {
		case err == nil || runErr != nil || ctx.Err() != nil:
		case flushCtx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(vr.opt.Log, "producer %d: the flush ended after %s with messages unacknowledged (counted in produce.unacknowledged)\n", p.id, flushBound)
		default:
			runErr = fmt.Errorf("producer %d: %w", p.id, err)
		}
	}
	stopSeal()
	sealAll()
	return runErr
}

func (vr *variantRun) makeProducers(start, measureFrom, end time.Time) error {
	exp := vr.exp
	vr.end = end
	if exp.ConsumeOnly() {
		return nil
	}
	n := exp.Producer.Instances
	for i := 0; i < n; i++ {
		if !vr.shard.owns(i) {
			continue // another shard's producer
		}
		p := newProducer(uint32(i), vr.maxPartitions())
		if vr.shard.Sharded() && vr.offsetsKnown() {
			p.ackedOff = make([]delivery.IntervalSet, exp.Topic.Partitions)
		}
		if err := vr.initProducer(p, i, n, start, measureFrom, end); err != nil {
			return err
		}
		vr.producers = append(vr.producers, p)
	}
	return nil
}

// startVerifiers gives every transactional group (franz-go, unsharded) an
// output topic, <topic>-<group>-out with the topic's partitions (deleted
// with the topic), for its members to write to in their transactions, and
// a verifier reading it read_committed (see verifier.go). A sharded run
// keeps offset-only transactions: one shard's verifier would see only part
// of the run.
func (vr *variantRun) startVerifiers(ctx context.Context) error {
	exp := vr.exp
	taken := map[string]bool{}
	for _, g := range vr.groups {
		if g.cfg.Commit != "transactional" || exp.Producer.Driver != driver.FranzGo || vr.shard.Sharded() {
			continue
		}
		out := outputTopic(vr.topic, g.cfg.Group, taken)
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := vr.adm.CreateTopicWith(cctx, out, exp.Topic.Partitions, exp.Topic.Replication, vr.topicConfigs())
		cancel()
		if err != nil {
			return fmt.Errorf("consumer group %q: output topic: %w", g.cfg.Group, err)
		}
		vr.outTopics = append(vr.outTopics, out)
		v, err := newVerifier(vr.brokers, vr.opt.Net, out, exp.Topic.Partitions, vr.runID)
		if err != nil {
			return err
		}
		g.out, g.ver = out, v
		go v.run()
	}
	return nil
}

func (vr *variantRun) startConsumers(ctx context.Context) error {
	if err := vr.commitStarts(ctx); err != nil {
		return err
	}
	for _, g := range vr.groups {
		for i := 0; i < g.cfg.Instances; i++ {
			if !vr.shard.owns(i) {
				continue // another shard's member
			}
			if _, err := vr.addMember(ctx, g, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitGroupsReady waits until every group has all its members assigned
// (Stable), so the first messages are not measured through a rebalance.
func (vr *variantRun) waitGroupsReady(ctx context.Context) error {
	if vr.shard.Sharded() {
		return vr.waitShardedGroups(ctx)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, g := range vr.groups {
		for {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ready, err := vr.adm.GroupReady(wctx, g.id, g.cfg.Instances)
			cancel()
			if err == nil && ready {
				g.markReady(ctx)
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("consumer group %q did not become stable with %d members within 30s (last error: %v)", g.cfg.Group, g.cfg.Instances, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func (vr *variantRun) stopConsumers(td *teardown, runErr error) {
	ctx, cancel := td.step(3*time.Second, runErr)
	defer cancel()
	var wg sync.WaitGroup
	for _, g := range vr.groups {
		g.mu.Lock()
		ms := append([]*member(nil), g.members...)
		g.mu.Unlock()
		for _, m := range ms {
			wg.Add(1)
			go func() { defer wg.Done(); m.stop(ctx) }()
		}
	}
	wg.Wait()
	for _, g := range vr.groups {
		if g.ver != nil {
			g.ver.stop(ctx)
		}
	}
}

// teardown hands out the deadlines of the steps after producing. Normally
// each step has its own bound; once the run is interrupted or has failed,
// all remaining steps share one deadline a few seconds from then.
type teardown struct {
	ctx context.Context

	mu       sync.Mutex
	deadline time.Time
}

// flushBound bounds the flush at the end of producing.
const flushBound = 10 * time.Second

// cutShort bounds everything left after an interruption or failure.
const cutShort = 3500 * time.Millisecond

// cut returns the shared deadline, setting it cutShort from now on the
// first call.
func (t *teardown) cut() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deadline.IsZero() {
		t.deadline = time.Now().Add(cutShort)
	}
	return t.deadline
}

func (t *teardown) step(normal time.Duration, runErr error) (context.Context, context.CancelFunc) {
	t.mu.Lock()
	normalStep := t.ctx.Err() == nil && runErr == nil && t.deadline.IsZero()
	t.mu.Unlock()
	if normalStep {
		ctx, cancel := context.WithTimeout(context.Background(), normal)
		// Interrupted (or the broker found dead) during this step: it
		// ends at the shared deadline, which starts then, like every
		// step after it.
		stop := context.AfterFunc(t.ctx, func() {
			time.AfterFunc(time.Until(t.cut()), cancel)
		})
		return ctx, func() { stop(); cancel() }
	}
	return context.WithDeadline(context.Background(), t.cut())
}

// groupDrain is how one group's drain ended.
type groupDrain struct {
	// done: the group processed everything acknowledged (or what it had
	// not processed can never come: nothing moved and its lag was 0).
	done bool
	// at: when it was done.
	at time.Time
}

// drain waits until every group has processed every acknowledged message
// (compared as sets of acknowledged sequences, not counts, so records
// written but never acknowledged cannot end it early), or has nothing left
// in the topic and nothing moves (what is missing then was lost); and
// then until each transactional group's verifier has read the committed
// output of every acknowledged message (see verified). It is bounded by
// the experiment's drain timeout from produceEnd, and returns each group's
// outcome, or an error when the broker stopped answering meanwhile.
func (vr *variantRun) drain(ctx context.Context, produceEnd time.Time) ([]groupDrain, error) {
	if vr.shard.Sharded() {
		// A shard's groups drain together: their lag is zero everywhere.
		ms, err := vr.drainSharded(ctx, produceEnd)
		out := make([]groupDrain, len(vr.groups))
		for i := range out {
			if ms >= 0 {
				out[i] = groupDrain{done: true, at: produceEnd.Add(time.Duration(ms * float64(time.Millisecond)))}
			}
		}
		return out, err
	}
	acked := vr.ackedSeqs()
	deadline := produceEnd.Add(vr.exp.Drain.D())
	out := make([]groupDrain, len(vr.groups))
	st := make([]drainState, len(vr.groups))
	for i := range st {
		st[i] = drainState{last: -1, stillSince: time.Now(), vstillSince: time.Now()}
	}
	for {
		all := true
		for gi, g := range vr.groups {
			if !out[gi].done {
				out[gi] = vr.drainStep(ctx, gi, g, acked, &st[gi])
			}
			all = all && out[gi].done
		}
		if all {
			return out, nil
		}
		select {
		case err := <-vr.sampler.failed:
			return out, err
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return out, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drainState is one group's progress through the drain.
type drainState struct {
	last       int64     // processed-for-the-first-time count at the last look
	stillSince time.Time // since when it has not moved
	processed  time.Time // when processing was drained; zero until then
	// the verifier's, for a transactional group
	vlast       int64
	vstillSince time.Time
	checked     time.Time // last reading of the output topic's end offsets
}

// drainStep looks at group gi once.
func (vr *variantRun) drainStep(ctx context.Context, gi int, g *group, acked *delivery.Acked, st *drainState) groupDrain {
	if vr.exp.ConsumeOnly() {
		return vr.caughtUp(ctx, g, st)
	}
	if st.processed.IsZero() {
		now := time.Now()
		u := g.unique.Load()
		switch {
		case u != st.last:
			st.last, st.stillSince = u, now
			if g.tracker.Missing(acked) == 0 {
				st.processed = now
			}
		case now.Sub(st.stillSince) > 1500*time.Millisecond && vr.sampler.groupLag(gi) == 0:
			// Lost messages (at-most-once after a crash) never arrive:
			// nothing moves and the group has no lag; it was done when
			// the last message arrived.
			st.processed = st.stillSince
		}
	}
	if st.processed.IsZero() {
		return groupDrain{}
	}
	if g.ver == nil {
		return groupDrain{done: true, at: st.processed}
	}
	end, ok := vr.verified(ctx, g, acked, st)
	if !ok {
		return groupDrain{}
	}
	return groupDrain{done: true, at: maxTime(st.processed, end)}
}

// ackedSeqs is every producer's acknowledged sequences (final once the
// producers are closed).
func (vr *variantRun) ackedSeqs() *delivery.Acked {
	acked := delivery.NewAcked()
	for _, p := range vr.producers {
		p.mu.Lock()
		acked.For(p.id).Merge(p.acked.Set())
		p.mu.Unlock()
	}
	return acked
}

// verified reports whether g's verifier is done: it has seen every
// acknowledged message's committed output, or nothing has moved for a
// while although it has read its output topic to the end (the end offsets
// read at most every 250ms), with no transaction open and no input lag:
// what is missing then was lost. end is when it was done.
func (vr *variantRun) verified(ctx context.Context, g *group, acked *delivery.Acked, st *drainState) (time.Time, bool) {
	u := g.ver.unique.Load()
	if u != st.vlast {
		st.vlast, st.vstillSince = u, time.Now()
		if g.ver.tracker.Missing(acked) == 0 {
			return time.Now(), true
		}
		return time.Time{}, false
	}
	if time.Since(st.vstillSince) <= 1500*time.Millisecond || time.Since(st.checked) < 250*time.Millisecond || vr.sampler.lastMaxLag() != 0 {
		return time.Time{}, false
	}
	st.checked = time.Now()
	ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
	end, err := vr.adm.EndOffsets(ectx, g.out, vr.exp.Topic.Partitions)
	cancel()
	if err != nil || !g.ver.caughtUp(end) {
		return time.Time{}, false
	}
	return st.vstillSince, true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func msSince(from, to time.Time) float64 {
	d := to.Sub(from)
	if d < 0 {
		d = 0
	}
	return float64(d.Microseconds()) / 1000
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// announce names what the variant touches on the cluster: its topic, the
// output topics and the group ids (a topic.keep run leaves them behind).
func (vr *variantRun) announce() {
	var ids []string
	for _, g := range vr.groups {
		ids = append(ids, g.id)
	}
	line := fmt.Sprintf("  topic %s", vr.topic)
	if len(vr.outTopics) > 0 {
		line += ", output topics " + strings.Join(vr.outTopics, ", ")
	}
	if len(ids) > 0 {
		line += ", groups " + strings.Join(ids, ", ")
	}
	switch {
	case vr.existing():
		line += " (existing: never deleted)"
	case vr.exp.Topic.Keep || vr.shard.Sharded():
		line += " (kept)"
	}
	fmt.Fprintln(vr.opt.Log, line)
}
