//! One function per subcommand, each a short list of named steps over the library stages.
//! Messages for people go to stderr (silenced by `--quiet`); data goes to stdout or `-o`.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command, EvalArgs, EvalFormat, ScoreArgs, TrainArgs};
use crate::error::{Error, Result, EXIT_INPUT, EXIT_OK};
use crate::evaluate;
use crate::model::{train, Model};
use crate::read::{linkedin, mail, table, Message, MessageStream, ReadReport};
use crate::report::{self, Sink};
use crate::score::{self, ScoreConfig};
use crate::senders;

/// What is told when the input holds none of your own messages: by sender (`senders`) or
/// message by message, and what `model` makes of it.
fn replies_unknown(model: &Model, senders: bool) -> String {
    let (inputs, judged) = match senders {
        true => (
            "an Inbox exported without its Sent folder: score a folder or archive holding \
             both; a table without a direction column: add one, or name yourself with --me if \
             your sent rows are in it",
            "so follow-ups and unanswered requests are not judged, and ",
        ),
        false => (
            "a table without a direction column: add one, or score it with --senders --me if \
             your sent rows are in it",
            "so ",
        ),
    };
    let model_reads = match model.reads_unknown_replies_as_none() {
        false => "the model reads your replies as unknown",
        true => "this model file reads them as none (see the warning on it)",
    };
    format!(
        "none of your own messages is in the input ({inputs}): whether you replied is \
         unknown, {judged}{model_reads}"
    )
}

/// The warning for a model file that reads unknown replies as none
/// ([`Model::reads_unknown_replies_as_none`]).
fn older_model(model: &Model, say: &dyn Fn(&str)) {
    if model.reads_unknown_replies_as_none() {
        say(
            "warning: the model file was trained before hardsell recorded what stands in for an \
             unknown reply: a message without a thread, or an input without your own messages, \
             is read as never answered; retrain it with `hardsell train`",
        );
    }
}

/// A note for `train` and `eval` when their data has threads but none of your messages, so
/// whether you replied is unknown; `then` says what follows from it.
fn replies_note(messages: &[Message], then: &str) -> Option<String> {
    let mut threads = crate::features::context::Threads::default();
    messages.iter().for_each(|m| threads.push(m));
    threads.replies_unknown().then(|| {
        format!(
            "note: none of the data's messages is yours (no outgoing row): whether you replied \
             is unknown, and {then}"
        )
    })
}

/// Runs the parsed command line; returns the exit code on success paths.
pub fn run(cli: Cli) -> Result<i32> {
    configure_threads(cli.threads)?;
    // `--quiet` silences everything but errors: an unreadable row is still told.
    let say = |msg: &str| {
        if !cli.quiet || msg.starts_with("error:") {
            report::to_stderr(msg);
        }
    };
    match &cli.command {
        Command::Train(args) => run_train(args, cli.quiet, &say),
        Command::Eval(args) => run_eval(args, &say),
        Command::Score(args) => run_score(args, cli.quiet, &say),
    }
}

/// The most worker threads `--threads` may ask for: far more than any machine's cores, and
/// few enough that starting them takes no noticeable time.
const MAX_THREADS: usize = 1024;

fn configure_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if !(1..=MAX_THREADS).contains(&n) {
            return Err(Error::Usage(format!(
                "--threads must be from 1 to {MAX_THREADS} (got {n})"
            )));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads: {e}")))?;
    }
    Ok(())
}

fn run_train(args: &TrainArgs, quiet: bool, say: &dyn Fn(&str)) -> Result<i32> {
    let inputs: Vec<&Path> = args.data.iter().map(PathBuf::as_path).collect();
    check_outputs(&inputs, &[("--out", &args.out)])?;
    check_distinct_inputs(&args.data)?;
    let opts = args.table.options(true)?;
    let mut messages = Vec::new();
    // Unreadable messages (raw mail) are reported and left out; the model is still written,
    // and the exit code says that some input could not be read, as `score` does.
    let mut unreadable = 0;
    let mut found = Vec::new();
    for path in &args.data {
        let (rows, read_report, labels) = read_labeled(path, &opts, &args.label_map)?;
        read_report.warnings().iter().for_each(|w| say(w));
        unreadable += read_report.bad_rows.len();
        messages.extend(rows);
        found.extend(labels);
    }
    found.sort();
    found.dedup();
    check_label_map(&args.label_map, &found)?;
    if let Some(note) = replies_note(&messages, "the reply features carry no weight") {
        say(&note);
    }
    let source = args
        .data
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    let started = std::time::Instant::now();
    let mut params = args.params()?;
    if let Some(grid) = &mut params.tune {
        grid.progress = !quiet;
    }
    // The tuning grid prints a line per candidate instead.
    let bar = report::stage_line(!quiet && params.tune.is_none());
    let model = train::train_showing(&messages, &source, &params, &|stage| {
        bar.set_message(stage.to_string())
    });
    bar.finish_and_clear();
    let model = model?;
    let fit_seconds = started.elapsed().as_secs_f64();
    model.save(&args.out)?;
    let t = &model.training;
    let counts: Vec<String> = t
        .rows_per_label
        .iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    say(&format!(
        "trained on {} rows ({}){} in {:.2} s; {} text buckets; wrote {}",
        t.rows_per_label.values().sum::<usize>(),
        counts.join(", "),
        if t.unlabeled_rows > 0 {
            format!(", {} unlabeled rows used as context only", t.unlabeled_rows)
        } else {
            String::new()
        },
        fit_seconds,
        t.text_buckets,
        args.out.display()
    ));
    if t.text_buckets == 0 {
        say(
            "warning: no text features: every text is empty (or no n-gram occurs twice); the \
             model stands on cues and context alone",
        );
    }
    if !t.converged {
        say("warning: a text-model fit reached --max-iterations before converging; raise it or --alpha");
    }
    let cv = &t.cross_validation;
    say(&format!(
        "training estimate (text out of fold, combiner in sample: optimistic; eval held-out \
         data for a fair figure): mcc {:.4}, f1 {:.4}, roc_auc {:.4}",
        cv["mcc"].as_f64().unwrap_or(0.0),
        cv["f1"].as_f64().unwrap_or(0.0),
        cv["roc_auc"].as_f64().unwrap_or(0.0)
    ));
    if unreadable > 0 {
        say(&format!(
            "{unreadable} input(s) could not be read and were left out (see the errors above)"
        ));
        return Ok(EXIT_INPUT);
    }
    Ok(EXIT_OK)
}

fn run_eval(args: &EvalArgs, say: &dyn Fn(&str)) -> Result<i32> {
    if let Some(out) = &args.write_baseline {
        let mut inputs = vec![args.model.as_path(), args.data.as_path()];
        inputs.extend(args.baseline.as_deref());
        check_outputs(&inputs, &[("--write-baseline", out)])?;
    }
    // The baseline is checked before the work: its JSON, and the kind of model it is for.
    let baseline = args
        .baseline
        .as_deref()
        .map(|path| evaluate::Baseline::load(path, args.max_drop))
        .transpose()?;
    let model = Model::load(&args.model)?;
    older_model(&model, say);
    if let Some(baseline) = &baseline {
        baseline.check_kind(&model)?;
    }
    let opts = args.table.options(true)?;
    let (messages, read_report, found) = read_labeled(&args.data, &opts, &args.label_map)?;
    read_report.warnings().iter().for_each(|w| say(w));
    // A test split may lack a label its training split had: said, not refused (a label the
    // model does not know is refused by the evaluation itself).
    if let Err(unused) = check_label_map(&args.label_map, &found) {
        say(&format!("warning: {unused}"));
    }
    if let Some(note) = replies_note(&messages, "the model reads them as unknown") {
        say(&note);
    }
    let metrics = evaluate::evaluate(&model, &messages, &args.data.display().to_string())?;
    let text = match args.format {
        EvalFormat::Json => serde_json::to_string_pretty(&metrics).expect("json") + "\n",
        EvalFormat::Text => evaluate::render_text(&metrics),
    };
    report::to_sink(&Sink::Stdout, |w| w.write_all(text.as_bytes()))?;
    let undefined = evaluate::undefined_gated(&metrics);
    if !undefined.is_empty() {
        say(&format!(
            "warning: {} cannot be worked out: the data does not hold every label the model \
             measures",
            undefined.join(", ")
        ));
    }
    if let Some(baseline) = &baseline {
        for line in baseline.check(&model, &metrics)? {
            say(&format!("ok {line}"));
        }
    }
    let unreadable = read_report.bad_rows.len();
    // Written only when the gate (if any) passed on all the data: a failed run, or one that
    // measured part of the data, records nothing.
    if let Some(path) = &args.write_baseline {
        if unreadable > 0 {
            say(&format!(
                "{unreadable} input(s) could not be read (see the errors above): no baseline \
                 written to {}, as metrics of part of the data would pass for the whole",
                path.display()
            ));
            return Ok(EXIT_INPUT);
        }
        if !undefined.is_empty() {
            return Err(Error::Training(format!(
                "no baseline written to {}: {} cannot be worked out on {}",
                path.display(),
                undefined.join(", "),
                args.data.display()
            )));
        }
        write_baseline(path, &metrics)?;
        say(&format!("wrote baseline {}", path.display()));
    }
    if unreadable > 0 {
        say(&format!(
            "{unreadable} input(s) could not be read and were left out (see the errors above)"
        ));
        return Ok(EXIT_INPUT);
    }
    Ok(EXIT_OK)
}

fn write_baseline(path: &Path, metrics: &serde_json::Value) -> Result<()> {
    let mut keep = serde_json::Map::new();
    let extra = ["rows", "data", "positive"];
    for k in evaluate::BINARY_METRICS.iter().chain(extra.iter()).copied() {
        if !metrics[k].is_null() {
            keep.insert(k.to_string(), metrics[k].clone());
        }
    }
    // The data path is kept as its last two components so the file does not change with temp dirs.
    if let Some(data) = keep.get("data").and_then(|d| d.as_str()).map(short_path) {
        keep.insert("data".into(), data.into());
    }
    let text = serde_json::to_string_pretty(&keep).expect("json") + "\n";
    report::write_atomically(path, |w| w.write_all(text.as_bytes()))
}

fn run_score(args: &ScoreArgs, quiet: bool, say: &dyn Fn(&str)) -> Result<i32> {
    let mut inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.model.as_deref());
    let outputs: Vec<(&str, &Path)> =
        [("-o", &args.output), ("--messages-out", &args.messages_out)]
            .into_iter()
            .filter_map(|(flag, p)| Some((flag, p.as_deref()?)))
            // `-o -` is stdout, not a file.
            .filter(|&(flag, p)| !(flag == "-o" && p.as_os_str() == "-"))
            .collect();
    check_outputs(&inputs, &outputs)?;
    check_distinct_inputs(&args.inputs)?;
    // Mail first: a Takeout .zip is mail, a LinkedIn .zip is an export. A folder that is
    // neither is read as an export, so a folder without messages.csv says what it holds.
    // A .tgz is only ever mail: one that cannot be read says so, not read as a table.
    // --senders names its input a table: it is not sniffed as mail (an Outlook CSV whose
    // first column is `To: (Type)` looks like a mail header).
    if args.senders {
        return run_score_table_senders(args, quiet, say);
    }
    let is_mail = |p: &Path| mail::is_mail(p) || mail::is_tar_gz(p);
    let is_export = |p: &Path| p.is_dir() || linkedin::is_export(p);
    if let [path] = args.inputs.as_slice() {
        if is_mail(path) {
            return run_score_mail(path, args, quiet, say);
        }
        if is_export(path) {
            return run_score_export(path, args, quiet, say);
        }
    }
    if let Some(whole) = args.inputs.iter().find(|p| is_mail(p) || is_export(p)) {
        return Err(Error::Usage(format!(
            "{} is a mailbox or an export: those are scored one at a time, each alone \
             (tables can be given together)",
            whole.display()
        )));
    }
    if args.messages_out.is_some() {
        return Err(Error::Usage(
            "--messages-out is for an export, a mailbox or a table judged by sender \
             (--senders); without --senders a table is scored one row per message already"
                .into(),
        ));
    }
    if args.me.is_some() {
        return Err(Error::Usage(
            "--me is for an export or a mailbox; a table is scored one row per message already"
                .into(),
        ));
    }
    if args.policy.is_some() {
        return Err(Error::Usage(
            "--policy is for sender verdicts (an export, a mailbox, or a table with \
             --senders); a table is scored one row per message, by the model alone"
                .into(),
        ));
    }
    let model = load_model(args)?;
    older_model(&model, say);
    let cfg = ScoreConfig {
        inputs: args.inputs.clone(),
        table: args.table.options(false)?,
        format: args.format,
        reasons: args.reasons,
        progress: !quiet,
    };
    let sink = output_sink(args.output.as_deref());
    let summary = report::produce(&sink, |w| score::score_tables(&model, &cfg, w))?;
    summary.read.warnings().iter().for_each(|w| say(w));
    if let Some(path) = summary.replies_unknown.first() {
        let more = summary.replies_unknown.len() - 1;
        let others = if more > 0 {
            format!(" (and {more} other input(s))")
        } else {
            String::new()
        };
        say(&format!(
            "warning: {}{others}: {}",
            path.display(),
            replies_unknown(&model, false)
        ));
    }
    say(&format!(
        "scored {} rows, flagged {}; {} unreadable row(s)",
        summary.scored,
        summary.flagged,
        summary.read.bad_rows.len()
    ));
    Ok(if summary.read.bad_rows.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT
    })
}

/// Where `-o` sends output: standard output when it is not given or is `-`.
fn output_sink(output: Option<&Path>) -> Sink {
    match output {
        Some(path) if path.as_os_str() != "-" => Sink::File(path.to_path_buf()),
        _ => Sink::Stdout,
    }
}

/// Refuses an input given twice (its rows would count twice; standard input cannot be read
/// twice).
fn check_distinct_inputs(inputs: &[PathBuf]) -> Result<()> {
    for (i, a) in inputs.iter().enumerate() {
        let stdin = |p: &Path| p.as_os_str() == "-";
        if let Some(b) = inputs[..i]
            .iter()
            .find(|b| (stdin(a) && stdin(b)) || (!stdin(a) && same_file(a, b)))
        {
            return Err(Error::Usage(format!(
                "{} is given twice (also as {}); its rows would count twice",
                a.display(),
                b.display()
            )));
        }
    }
    Ok(())
}

/// Refuses an output that would be written over an input (read after it is gone) or over
/// another output, or into a folder that does not exist (found out only after the work).
/// Devices such as `/dev/null` are never the same file.
fn check_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> Result<()> {
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        let dir = report::folder_of(out);
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {}: there is no folder {}",
                out.display(),
                dir.display()
            )));
        }
        if out.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {}: is a folder; name a file in it",
                out.display()
            )));
        }
        if let Some(input) = inputs.iter().find(|input| same_file(input, out)) {
            return Err(Error::Usage(format!(
                "{flag} {} is also an input ({}); write the output elsewhere",
                out.display(),
                input.display()
            )));
        }
        if let Some(folder) = inputs.iter().find(|input| inside(out, input)) {
            return Err(Error::Usage(format!(
                "{flag} {} is inside the input folder {}, whose files it could replace (an \
                 export's messages.csv, a mail); write the output elsewhere",
                out.display(),
                folder.display()
            )));
        }
        if let Some((other, _)) = outputs[..i].iter().find(|(_, o)| same_file(o, out)) {
            return Err(Error::Usage(format!(
                "{flag} and {other} both name {}; give each its own file",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Whether the file `out` would be written inside the folder `input` (at any depth).
fn inside(out: &Path, input: &Path) -> bool {
    if !input.is_dir() {
        return false;
    }
    // Where the output really goes: a link is followed, as writing follows it.
    let target = report::link_target(out).unwrap_or_else(|_| out.to_path_buf());
    let dir = report::folder_of(&target);
    match (std::fs::canonicalize(dir), std::fs::canonicalize(input)) {
        (Ok(dir), Ok(input)) => dir.starts_with(input),
        _ => false,
    }
}

/// Whether two paths name one regular file (both existing), or would create one (neither does).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => {
            if !(x.is_file() && y.is_file()) {
                return false;
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                x.dev() == y.dev() && x.ino() == y.ino()
            }
            #[cfg(not(unix))]
            {
                std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
            }
        }
        (Err(_), Err(_)) => {
            let resolved = |p: &Path| -> Option<PathBuf> {
                let dir = report::folder_of(p);
                Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
            };
            resolved(a).is_some_and(|x| Some(x) == resolved(b))
        }
        _ => false,
    }
}

fn short_path(p: &str) -> String {
    let parts: Vec<&str> = p.rsplit(['/', '\\']).take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// The model `--model` names, or the default one.
fn load_model(args: &ScoreArgs) -> Result<Model> {
    match args.model.as_deref() {
        Some(path) => Model::load(path),
        None => Model::default_model(),
    }
}

/// Runs `open` (the input's first passes) while the model loads on another thread, when
/// there is more than one; a model that cannot be loaded is the error reported first.
fn open_while_loading<T>(args: &ScoreArgs, open: impl FnOnce() -> Result<T>) -> Result<(Model, T)> {
    if rayon::current_num_threads() == 1 {
        let model = load_model(args)?;
        return Ok((model, open()?));
    }
    let (model, opened) = std::thread::scope(|s| {
        let loading = s.spawn(|| load_model(args));
        let opened = open();
        let model = loading
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (model, opened)
    });
    Ok((model?, opened?))
}

fn run_score_export(path: &Path, args: &ScoreArgs, quiet: bool, say: &dyn Fn(&str)) -> Result<i32> {
    let (model, export) =
        open_while_loading(args, || linkedin::open_export(path, args.me.as_deref()))?;
    let model = &model;
    let owner = export.owner();
    let you = match &owner.profile_url {
        Some(url) => format!("{} {url}", owner.name),
        None => owner.name.clone(),
    };
    let code = score_senders(model, &export, &you, args, quiet, say)?;
    if let Some((from, to)) = export.invitations_window {
        say(&format!(
            "invitations cover {} to {}",
            &crate::read::dates::format(from)[..10],
            &crate::read::dates::format(to)[..10]
        ));
    }
    Ok(code)
}

/// `score --senders` on one table: its rows judged by sender, as an export's are.
fn run_score_table_senders(args: &ScoreArgs, quiet: bool, say: &dyn Fn(&str)) -> Result<i32> {
    let [path] = args.inputs.as_slice() else {
        return Err(Error::Usage(
            "--senders judges the senders of one table at a time".into(),
        ));
    };
    let named = |ext: &str| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
    };
    if path.is_dir() || mail::is_tar_gz(path) || ["zip", "mbox", "eml"].into_iter().any(named) {
        return Err(Error::Usage(format!(
            "{}: --senders is for one CSV/TSV/JSON Lines table; an export or a mailbox is \
             judged by sender without it",
            path.display()
        )));
    }
    let opts = table::TableOptions {
        me: args.me.clone(),
        ..args.table.options(false)?
    };
    let (model, table) = open_while_loading(args, || score::SenderTable::open(path, &opts))?;
    if !table.timed {
        say(&format!(
            "warning: {} has no timestamp column (timestamp, date, sent_at): its rows are taken \
             in file order, and nothing is timed (time to the first pitch, follow-up spacing); \
             Outlook's CSV export carries no dates",
            path.display()
        ));
    }
    let you = opts
        .you()
        .unwrap_or("the sender of the table's outgoing rows");
    score_senders(&model, &table, you, args, quiet, say)
}

fn run_score_mail(path: &Path, args: &ScoreArgs, quiet: bool, say: &dyn Fn(&str)) -> Result<i32> {
    let (model, mailbox) = open_while_loading(args, || mail::open_mail(path, args.me.as_deref()))?;
    let model = &model;
    let you = mailbox
        .owner()
        .first()
        .cloned()
        .unwrap_or_else(|| "(not found; use --me)".into());
    score_senders(model, &mailbox, &you, args, quiet, say)
}

/// Scores a stream of messages with thread context and writes one verdict per sender (and,
/// with `--messages-out`, every message's score).
fn score_senders(
    model: &Model,
    source: &(dyn MessageStream + Sync),
    you: &str,
    args: &ScoreArgs,
    quiet: bool,
    say: &dyn Fn(&str),
) -> Result<i32> {
    older_model(model, say);
    // The sender report is written before the messages file is put in place, so that a
    // failure to write it leaves an earlier messages file as it was.
    let run = |rows: Option<score::MessageRows<'_>>| {
        let policy = args.policy.unwrap_or(senders::Policy::Balanced);
        let scored = score::score_senders(model, source, policy, rows, !quiet)?;
        if let Some(me) = &scored.read.me_unseen {
            return Err(Error::Usage(format!(
                "--me {me}: no row is from or to it; give yourself as the sender column \
                 names you (or leave --me out)"
            )));
        }
        let reports = scored.reports.as_ref().expect("scoring judged the senders");
        let sink = output_sink(args.output.as_deref());
        report::to_sink(&sink, |w| {
            report::write_senders(reports.batches(4096), args.format, w)
        })?;
        Ok(scored)
    };
    let scored = match &args.messages_out {
        Some(out) => report::produce_file(out, |w| {
            run(Some(score::MessageRows {
                out: w,
                format: args.format,
                reasons: args.reasons,
            }))
        })?,
        None => run(None)?,
    };
    scored.read.warnings().iter().for_each(|w| say(w));
    let reports = scored.reports.as_ref().expect("scoring judged the senders");
    if scored.replies_unknown && !reports.is_empty() {
        say(&format!("warning: {}", replies_unknown(model, true)));
    }
    let count = |v: senders::Verdict| reports.count(v);
    say(&format!(
        "you: {you}; {} messages read; {} senders: {} hard_sell, {} collector, {} sponsored, {} ok; {} unreadable",
        scored.messages,
        reports.len(),
        count(senders::Verdict::HardSell),
        count(senders::Verdict::Collector),
        count(senders::Verdict::Sponsored),
        count(senders::Verdict::Ok),
        scored.read.bad_rows.len()
    ));
    Ok(if scored.read.bad_rows.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT
    })
}

/// Labeled rows from a table, or from raw mail (a folder or archive whose sub-folders are
/// labels); with the labels (or label folders) found, by their own names.
fn read_labeled(
    path: &Path,
    opts: &table::TableOptions,
    label_map: &[(String, String)],
) -> Result<(Vec<Message>, ReadReport, Vec<String>)> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let archive = [".tar.gz", ".tgz", ".zip"]
        .iter()
        .any(|e| name.ends_with(e));
    if path.is_dir() || archive {
        mail::read_labeled_mail(path, label_map)
    } else {
        let (mut rows, report) = table::read_all(path, opts)?;
        let found: std::collections::BTreeSet<String> =
            rows.iter().filter_map(|m| m.label.clone()).collect();
        rename_labels(&mut rows, label_map);
        Ok((rows, report, found.into_iter().collect()))
    }
}

/// Refuses a `--label-map` entry that names no label (or label folder) of the data: a typo
/// would leave that label as it is without a word.
fn check_label_map(label_map: &[(String, String)], found: &[String]) -> Result<()> {
    match label_map.iter().find(|(from, _)| !found.contains(from)) {
        Some((from, _)) => Err(Error::Usage(format!(
            "--label-map: no label or label folder '{from}' in the data; found: {}",
            found.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Renames table labels by the label map; a label mapped to `-` leaves its rows unlabeled
/// (still read, as context), like a message without a label.
fn rename_labels(rows: &mut [Message], label_map: &[(String, String)]) {
    if label_map.is_empty() {
        return;
    }
    for row in rows {
        let Some(label) = &row.label else { continue };
        if let Some((_, to)) = label_map.iter().find(|(from, _)| from == label) {
            row.label = (to != "-").then(|| to.clone());
        }
    }
}
