//! Synthetic benchmark corpus shaped like the finews Jekyll site.
//!
//! ```text
//! cargo run --release --example gen_corpus -- DIR N [--sources K] [--seed S]
//!     [--start-index I] [--body-bytes B] [--threads T] [--rate R]
//! ```
//!
//! Writes `DIR/_config.yml` and `N` posts `DIR/_posts/<YYYY-MM-DD>-<id>.md` with
//! indices `I .. I+N` (default `I = 0`). Everything about post `i` (file name,
//! date, source, title, body) is a function of `(i, seed, K, B, R)` only, so:
//!
//! * output is byte-identical for the same arguments, whatever `--threads`;
//! * `gen_corpus DIR 100 --start-index 100000` (same `K`) adds 100 *new* posts,
//!   dated after the existing ones (but for ±20 s of jitter), without touching
//!   the others.
//!
//! Shape (see `shared/corpus/finews-sample/`): front matter `layout`, a
//! double-quoted `title`, `date` (most `YYYY-MM-DD hh:mm:ss +0800`, ~1 in 8
//! naive), `categories: <ascii slug>` (a plain string; a few slugs contain a
//! space, so Jekyll splits them into two categories; some contain `·`), and
//! `tags: <中文名>新闻` (a quarter of posts get a `[list, with, topics]`).
//! Source 0 is `emnews` / `东财滚动新闻` and gets the largest Zipf share
//! (weight `1/rank^1.1`); the source list depends on `K` only, and the list for
//! a smaller `K` is a prefix of the one for a larger `K`. Post `i` is dated
//! `floor(i * 86400 / R)` s after 2021-12-08 00:00 +08:00 (`--rate R` posts a
//! day, default 30,000: 2.88 s per index), with up to ±20 s of jitter. Bodies are HTML `<p>` paragraphs of Chinese filler of
//! about `B` bytes (default 5000), sometimes a digest `> ` line and a K-line
//! `<img>`, then the source autolink line and a footer with protocol-relative
//! links, and no trailing newline, as in the real data.
//!
//! One summary line goes to stdout: posts, bytes, Jekyll-split category count,
//! the most popular category, seconds.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

// ------------------------------------------------------------------ PRNG

/// SplitMix64: used to derive independent, well-mixed per-post seeds.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xorshift64* — tiny, fast, good enough for filler text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Self {
        let s = splitmix64(splitmix64(seed ^ splitmix64(stream)) ^ index);
        Rng(if s == 0 { 0x2545_F491_4F6C_DD1D } else { s })
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0); the tiny modulo bias is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) % n as u64) as usize
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn range(&mut self, lo: usize, hi_incl: usize) -> usize {
        lo + self.below(hi_incl - lo + 1)
    }
}

// ------------------------------------------------------------------ sources

/// (Chinese, pinyin) building blocks for source names.
const PLACES: &[(&str, &str)] = &[
    ("北京", "beijing"),
    ("上海", "shanghai"),
    ("天津", "tianjin"),
    ("重庆", "chongqing"),
    ("广州", "guangzhou"),
    ("深圳", "shenzhen"),
    ("杭州", "hangzhou"),
    ("南京", "nanjing"),
    ("武汉", "wuhan"),
    ("成都", "chengdu"),
    ("西安", "xian"),
    ("长沙", "changsha"),
    ("青岛", "qingdao"),
    ("厦门", "xiamen"),
    ("泉州", "quanzhou"),
    ("福州", "fuzhou"),
    ("合肥", "hefei"),
    ("大连", "dalian"),
    ("宁波", "ningbo"),
    ("温州", "wenzhou"),
    ("江苏", "jiangsu"),
    ("浙江", "zhejiang"),
    ("广东", "guangdong"),
    ("山东", "shandong"),
    ("四川", "sichuan"),
    ("湖北", "hubei"),
    ("湖南", "hunan"),
    ("河南", "henan"),
    ("福建", "fujian"),
    ("安徽", "anhui"),
    ("云南", "yunnan"),
    ("辽宁", "liaoning"),
    ("香港", "xianggang"),
    ("中国", "zhongguo"),
    ("华夏", "huaxia"),
    ("东方", "dongfang"),
    ("南方", "nanfang"),
    ("环球", "huanqiu"),
    ("国际", "guoji"),
    ("中华", "zhonghua"),
];
const TOPIC_WORDS: &[(&str, &str)] = &[
    ("财经", "caijing"),
    ("经济", "jingji"),
    ("金融", "jinrong"),
    ("证券", "zhengquan"),
    ("投资", "touzi"),
    ("商业", "shangye"),
    ("科技", "keji"),
    ("产业", "chanye"),
    ("能源", "nengyuan"),
    ("汽车", "qiche"),
    ("地产", "dichan"),
    ("理财", "licai"),
    ("基金", "jijin"),
    ("期货", "qihuo"),
    ("银行", "yinhang"),
    ("保险", "baoxian"),
    ("资本", "ziben"),
    ("市场", "shichang"),
    ("财富", "caifu"),
    ("消费", "xiaofei"),
    ("医药", "yiyao"),
    ("工业", "gongye"),
    ("物流", "wuliu"),
    ("黄金", "huangjin"),
    ("时代", "shidai"),
    ("每日", "meiri"),
    ("今日", "jinri"),
    ("法治", "fazhi"),
    ("科创", "kechuang"),
    ("数字", "shuzi"),
    ("绿色", "lvse"),
    ("创投", "chuangtou"),
    ("券商", "quanshang"),
    ("宏观", "hongguan"),
    ("产经", "chanjing"),
];
const OUTLETS: &[(&str, &str)] = &[
    ("日报", "ribao"),
    ("晚报", "wanbao"),
    ("晨报", "chenbao"),
    ("商报", "shangbao"),
    ("时报", "shibao"),
    ("周刊", "zhoukan"),
    ("导报", "daobao"),
    ("网", "wang"),
    ("新闻", "xinwen"),
    ("新闻网", "xinwenwang"),
    ("客户端", "kehuduan"),
    ("观察", "guancha"),
    ("研究中心", "yanjiuzhongxin"),
    ("资讯", "zixun"),
    ("传媒", "chuanmei"),
    ("社", "she"),
    ("频道", "pindao"),
    ("头条", "toutiao"),
];
const SECOND_WORDS: &[(&str, &str)] = &[
    ("财经APP", "caijingAPP"),
    ("理财通", "licaitong"),
    ("快讯", "kuaixun"),
    ("Pro", "Pro"),
    ("客户端", "kehuduan"),
];
const DIGITS: &[&str] = &["21", "36", "20", "6G", "5G", "360", "24"];

struct Source {
    /// Written raw into `categories:` (Jekyll splits it on whitespace).
    slug: String,
    /// Chinese outlet name; the tag is `name + "新闻"`.
    name: String,
}

/// Appends a random (Chinese, pinyin) pair to `name` and `slug`.
fn add(rng: &mut Rng, list: &[(&str, &str)], name: &mut String, slug: &mut String) {
    let (z, p) = rng.pick(list);
    name.push_str(z);
    slug.push_str(p);
}

/// The first `k` sources. Depends on `k` only (not on the seed), and is a
/// prefix of the list for any larger `k`.
fn build_sources(k: usize) -> Vec<Source> {
    let mut out = vec![
        Source {
            slug: "emnews".into(),
            name: "东财滚动".into(),
        },
        Source {
            slug: "shanghaizhengquanbao·zhongguozhengquanwang".into(),
            name: "上海证券报·中国证券网".into(),
        },
    ];
    out.truncate(k);
    let mut seen: HashSet<String> = out.iter().map(|s| s.slug.to_lowercase()).collect();
    let mut names: HashSet<String> = out.iter().map(|s| s.name.clone()).collect();
    let mut rng = Rng::new(0x5EED_50CE, 1, 0);
    let mut slug = String::new();
    let mut name = String::new();
    while out.len() < k {
        slug.clear();
        name.clear();
        let r = rng.unit();
        if r < 0.05 {
            // Digit-led, e.g. 21caijingshe / 21财经社.
            let d = rng.pick(DIGITS);
            name.push_str(d);
            slug.push_str(d);
            add(&mut rng, TOPIC_WORDS, &mut name, &mut slug);
            add(&mut rng, OUTLETS, &mut name, &mut slug);
        } else {
            if rng.chance(0.6) {
                add(&mut rng, PLACES, &mut name, &mut slug);
            }
            add(&mut rng, TOPIC_WORDS, &mut name, &mut slug);
            if rng.chance(0.2) {
                add(&mut rng, TOPIC_WORDS, &mut name, &mut slug);
            }
            add(&mut rng, OUTLETS, &mut name, &mut slug);
            if r > 0.985 {
                // Rare: "slug second" (Jekyll: two categories).
                name.push(' ');
                slug.push(' ');
                add(&mut rng, SECOND_WORDS, &mut name, &mut slug);
            } else if r > 0.955 {
                // Compound outlet: "xxxbao·xxxwang".
                name.push('·');
                slug.push('·');
                add(&mut rng, PLACES, &mut name, &mut slug);
                add(&mut rng, OUTLETS, &mut name, &mut slug);
            }
        }
        if seen.insert(slug.to_lowercase()) && names.insert(name.clone()) {
            out.push(Source {
                slug: slug.clone(),
                name: name.clone(),
            });
        }
    }
    out
}

// ------------------------------------------------------------------ text

/// Common words of Chinese financial news; filler is drawn from this pool.
const WORDS: &[&str] = &[
    "市场",
    "投资者",
    "公司",
    "数据",
    "显示",
    "同比",
    "增长",
    "下降",
    "上涨",
    "板块",
    "资金",
    "北向资金",
    "净流入",
    "净流出",
    "指数",
    "收盘",
    "开盘",
    "成交额",
    "亿元",
    "万元",
    "政策",
    "监管",
    "央行",
    "货币",
    "流动性",
    "利率",
    "债券",
    "基金",
    "银行",
    "保险",
    "券商",
    "期货",
    "业绩",
    "营收",
    "净利润",
    "预计",
    "公告",
    "披露",
    "发布",
    "研报",
    "评级",
    "维持",
    "买入",
    "增持",
    "目标价",
    "分析师",
    "认为",
    "表示",
    "指出",
    "方面",
    "今年以来",
    "上半年",
    "四季度",
    "进一步",
    "推动",
    "促进",
    "加快",
    "完善",
    "稳定",
    "发展",
    "高质量",
    "实体经济",
    "新能源",
    "半导体",
    "消费",
    "地产",
    "光伏",
    "汽车",
    "医药",
    "科技",
    "创新",
    "改革",
    "开放",
    "风险",
    "防控",
    "产业链",
    "供应链",
    "需求",
    "复苏",
    "预期",
    "压力",
    "信心",
    "估值",
    "龙头",
    "个股",
    "涨停",
    "跌停",
    "创业板",
    "科创板",
    "沪深",
    "港股",
    "美股",
    "汇率",
    "人民币",
    "美元",
    "黄金",
    "原油",
    "大宗商品",
    "价格",
    "规模",
    "累计",
    "合计",
    "其中",
    "此外",
    "同时",
    "整体",
    "持续",
    "明显",
    "显著",
    "有望",
    "继续",
    "保持",
    "相关",
    "部门",
    "企业",
    "行业",
    "经济",
    "运行",
    "平稳",
    "回升",
    "回落",
    "波动",
    "调整",
    "布局",
    "机会",
    "关注",
    "建议",
    "重点",
    "主线",
];
const PUNCT: &[&str] = &["，", "，", "，", "、", "；"];
const ORGS: &[&str] = &[
    "中国人民银行",
    "中国证监会",
    "国家统计局",
    "上海证券交易所",
    "深圳证券交易所",
    "财政部",
    "国家发展改革委",
    "中国基金业协会",
];
const TOPICS: &[&str] = &[
    "股票",
    "基金",
    "银行",
    "宏观",
    "债券",
    "保险",
    "外汇",
    "期货",
    "港股",
    "新能源",
];

/// Appends one sentence of 6..20 filler words.
fn sentence(rng: &mut Rng, out: &mut String) {
    let words = rng.range(6, 20);
    for w in 0..words {
        out.push_str(rng.pick(WORDS));
        if w + 1 < words && w % 4 == 3 {
            out.push_str(rng.pick(PUNCT));
        }
        if rng.chance(0.06) {
            let _ = write!(out, "{}.{:02}%", rng.below(30), rng.below(100));
        }
    }
    out.push('。');
}

fn title(rng: &mut Rng, out: &mut String) {
    if rng.chance(0.4) {
        out.push_str(rng.pick(ORGS));
        out.push('：');
    }
    // Every word is CJK (3 bytes a char) or a space, so bytes/3 ~ chars.
    let start = out.len();
    let target = rng.range(14, 36) * 3;
    while out.len() - start < target {
        out.push_str(rng.pick(WORDS));
        if rng.chance(0.15) {
            out.push(' ');
        }
    }
    let t = out.trim_end().len();
    out.truncate(t);
}

// ------------------------------------------------------------------ dates

const SECS_PER_DAY: u64 = 86_400;
/// Default `--rate`: posts per day.
const POSTS_PER_DAY: u64 = 30_000;
/// 2021-12-08 00:00:00 local (+08:00), as seconds since the local "epoch".
const START_LOCAL: i64 = 18_969 * 86_400; // days from 1970-01-01 to 2021-12-08

/// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

struct When {
    ymd: (i64, u32, u32),
    hms: (i64, i64, i64),
}

fn when(index: u64, rate: u64, rng: &mut Rng) -> When {
    let base = (u128::from(index) * u128::from(SECS_PER_DAY) / u128::from(rate)) as i64;
    let jitter = rng.below(41) as i64 - 20;
    let t = (START_LOCAL + base + jitter).max(START_LOCAL);
    let secs = t.rem_euclid(86_400);
    When {
        ymd: civil_from_days(t.div_euclid(86_400)),
        hms: (secs / 3600, secs / 60 % 60, secs % 60),
    }
}

// ------------------------------------------------------------------ posts

struct Params {
    dir: PathBuf,
    n: u64,
    seed: u64,
    start: u64,
    body_bytes: usize,
    threads: usize,
    sources: usize,
    /// Posts per day: post `i` is dated `i * 86400 / rate` s after the start.
    rate: u64,
}

struct Stats {
    bytes: u64,
    per_source: Vec<u64>,
}

/// Renders post `index` into `buf` and its file name into `name`; returns
/// the source index.
fn render_post(p: &Params, sources: &[Source], cum: &[f64], index: u64, buf: &mut String, name: &mut String) -> usize {
    let mut rng = Rng::new(p.seed, 2, index);
    let u = rng.unit() * cum[cum.len() - 1];
    let si = cum.partition_point(|&c| c <= u).min(sources.len() - 1);
    let src = &sources[si];
    let w = when(index, p.rate, &mut rng);
    let (y, mo, d) = w.ymd;
    let (h, mi, s) = w.hms;
    // 18-digit eastmoney-style id: date + 10 digits, unique and increasing per index.
    let seq = 2_206_600_000 + index * 7 + rng.below(7) as u64;
    let emnews = si == 0;
    let nw = if emnews { "" } else { "NW" };

    name.clear();
    let _ = write!(name, "{y:04}-{mo:02}-{d:02}-{nw}{y:04}{mo:02}{d:02}{seq:010}.md");

    buf.clear();
    buf.push_str("---\nlayout: post\ntitle: \"");
    title(&mut rng, buf);
    buf.push_str("\"\n");
    let _ = write!(buf, "date: {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
    if !rng.chance(0.125) {
        buf.push_str(" +0800");
    }
    let _ = write!(buf, "\ncategories: {}\ntags: ", src.slug);
    if rng.chance(0.25) {
        let a = rng.pick(TOPICS);
        let _ = write!(buf, "[{}新闻, {}]", src.name, a);
    } else {
        let _ = write!(buf, "{}新闻", src.name);
    }
    buf.push_str("\n---\n");

    let body_start = buf.len();
    if emnews && rng.chance(0.5) {
        buf.push_str("> ");
        sentence(&mut rng, buf);
        sentence(&mut rng, buf);
        buf.push_str("\n\n");
    }
    if rng.chance(0.2) {
        let code = 600_000 + rng.below(400_000);
        let _ = write!(
            buf,
            "<p style=\"text-align:center;\"><a href=\"http://quote.eastmoney.com/unify/r/1.{code}\" \
             class=\"EmImageRemark\" target=\"_blank\"><img src=\"https://webquoteklinepic.eastmoney.com/\
             GetPic.aspx?nid=1.{code}&imageType=k\" border=\"0\" alt=\"K图 {code}_0\" width=\"578\" \
             height=\"276\" /></a></p>"
        );
    }
    // Body size varies 0.5x..1.5x around the target, so the mean is ~body_bytes.
    let target = p.body_bytes / 2 + rng.below(p.body_bytes + 1);
    let mut first = true;
    while buf.len() - body_start < target || first {
        buf.push_str("<p>");
        if first {
            let _ = write!(buf, "据{}{}月{}日消息，", rng.pick(ORGS), mo, d);
            first = false;
        }
        for _ in 0..rng.range(2, 6) {
            sentence(&mut rng, buf);
            if buf.len() - body_start >= target {
                break;
            }
        }
        buf.push_str("</p>");
    }
    // emnews aggregates other outlets: credit one of them, as the real posts do.
    let credit = if emnews && sources.len() > 1 {
        &sources[1 + rng.below(sources.len() - 1)].name
    } else {
        &src.name
    };
    let _ = write!(buf, "<p class=\"em_media\">（文章来源：{credit}）</p>\n\n");
    let id = format_args!("{y:04}{mo:02}{d:02}{seq:010}");
    if emnews {
        let _ = write!(buf, "<http://finance.eastmoney.com/a/{id}.html>\n\n");
        buf.push_str("[返回东财滚动新闻](//finews.example.com/emnews/)｜[返回首页](//finews.example.com/)");
    } else {
        let _ = write!(
            buf,
            "<http://finews.example.com/html_News/NewsShare.html?infoCode=NW{id}>\n\n\
             [返回{}新闻](//finews.example.com/category/{}.html)｜[返回首页](//finews.example.com/)",
            src.name, src.slug
        );
    }
    si
}

fn zipf_cumulative(k: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (1..=k)
        .map(|r| {
            acc += 1.0 / (r as f64).powf(1.1);
            acc
        })
        .collect()
}

fn write_range(p: &Params, sources: &[Source], cum: &[f64], lo: u64, hi: u64) -> io::Result<Stats> {
    let posts = p.dir.join("_posts");
    let mut stats = Stats {
        bytes: 0,
        per_source: vec![0; sources.len()],
    };
    let mut buf = String::with_capacity(p.body_bytes * 2 + 4096);
    let mut name = String::new();
    let mut path = posts.clone();
    for index in lo..hi {
        let si = render_post(p, sources, cum, index, &mut buf, &mut name);
        path.push(&name);
        fs::write(&path, buf.as_bytes())?;
        path.pop();
        stats.bytes += buf.len() as u64;
        stats.per_source[si] += 1;
    }
    Ok(stats)
}

/// Writes `_config.yml`, leaving an identical existing file untouched (so
/// appending posts to a corpus changes nothing else in it).
fn write_config(dir: &Path) -> io::Result<()> {
    const CONFIG: &str = "title: 金融消息\n\
         description: 金融消息聚合（feedgen 基准测试合成语料）\n\
         url: https://finews.example.com\n\
         lang: zh-CN\n\
         timezone: Asia/Shanghai\n\
         author: ZNing\n";
    let path = dir.join("_config.yml");
    if fs::read(&path).is_ok_and(|old| old == CONFIG.as_bytes()) {
        return Ok(());
    }
    fs::write(path, CONFIG)
}

// ------------------------------------------------------------------ CLI

const USAGE: &str = "usage: gen_corpus DIR N [--sources K (40)] [--seed S (1)] \
[--start-index I (0)] [--body-bytes B (5000)] [--threads T (all cores)] [--rate R (30000 posts/day)]";

fn parse_args() -> Result<Params, String> {
    let mut pos = Vec::new();
    let mut p = Params {
        dir: PathBuf::new(),
        n: 0,
        seed: 1,
        start: 0,
        body_bytes: 5000,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        sources: 40,
        rate: POSTS_PER_DAY,
    };
    let mut sources = 40usize;
    let mut args = std::env::args().skip(1);
    fn num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        v.as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{flag} needs a non-negative integer"))
    }
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sources" => sources = num(&a, args.next())?,
            "--seed" => p.seed = num(&a, args.next())?,
            "--start-index" | "--start-id" => p.start = num(&a, args.next())?,
            "--body-bytes" => p.body_bytes = num(&a, args.next())?,
            "--threads" => p.threads = num(&a, args.next())?,
            "--rate" => p.rate = num(&a, args.next())?,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => pos.push(a),
        }
    }
    if pos.len() != 2 {
        return Err("need DIR and N".into());
    }
    p.dir = PathBuf::from(&pos[0]);
    p.n = num("N", Some(pos[1].clone()))?;
    if p.rate == 0 {
        return Err("--rate must be at least 1 post a day".into());
    }
    if sources == 0 {
        return Err("--sources must be at least 1".into());
    }
    p.threads = p.threads.max(1);
    p.sources = sources;
    Ok(p)
}

fn run(p: &Params) -> io::Result<()> {
    let k = p.sources;
    let started = Instant::now();
    fs::create_dir_all(p.dir.join("_posts"))?;
    write_config(&p.dir)?;
    let sources = build_sources(k);
    let cum = zipf_cumulative(k);
    let (lo, hi) = (p.start, p.start + p.n);
    let chunk = p.n.div_ceil(p.threads as u64).max(1);
    let results: Vec<io::Result<Stats>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..p.threads as u64)
            .map(|t| {
                let a = (lo + t * chunk).min(hi);
                let b = (a + chunk).min(hi);
                let (sources, cum) = (&sources, &cum);
                s.spawn(move || write_range(p, sources, cum, a, b))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(io::Error::other("worker panicked"))))
            .collect()
    });
    let mut bytes = 0u64;
    let mut per_source = vec![0u64; k];
    for r in results {
        let st = r?;
        bytes += st.bytes;
        for (a, b) in per_source.iter_mut().zip(st.per_source) {
            *a += b;
        }
    }
    // Categories as Jekyll sees them: the `categories:` string split on whitespace.
    let mut cats = HashSet::new();
    for (s, &c) in sources.iter().zip(&per_source) {
        if c > 0 {
            cats.extend(s.slug.split_whitespace());
        }
    }
    let (top, top_n) = per_source
        .iter()
        .enumerate()
        .max_by_key(|&(i, &c)| (c, std::cmp::Reverse(i)))
        .map_or(("", 0), |(i, &c)| (sources[i].slug.as_str(), c));
    println!(
        "posts={} indices={}..{} sources={} used={} categories={} top_category={} top_posts={} \
         bytes={} avg_bytes={} seconds={:.2} dir={}",
        p.n,
        lo,
        hi,
        k,
        per_source.iter().filter(|&&c| c > 0).count(),
        cats.len(),
        top,
        top_n,
        bytes,
        bytes / p.n.max(1),
        started.elapsed().as_secs_f64(),
        p.dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let p = match parse_args() {
        Ok(p) => p,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_corpus: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&p) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: {}: {e}", p.dir.display());
            ExitCode::FAILURE
        }
    }
}
