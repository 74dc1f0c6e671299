//! Micro-timing of the hot normalizers on typical input. Ignored by default; run with
//! `cargo test -p leadguard-matching --release --test normalize_timing -- --ignored --nocapture`.
//! (`cargo bench -p leadguard-matching` has the careful measurements.)

use std::hint::black_box;
use std::time::Instant;

use leadguard_matching::normalize::{company_name, email, phone, regions, text, website};

fn time<T>(label: &str, inputs: &[&str], f: impl Fn(&str) -> T) {
    // Warm up: builds the lazy tables and the caches.
    for s in inputs {
        black_box(f(black_box(s)));
    }
    let rounds = 20_000;
    let start = Instant::now();
    for _ in 0..rounds {
        for s in inputs {
            black_box(f(black_box(s)));
        }
    }
    let per_call = start.elapsed().as_nanos() / (rounds * inputs.len()) as u128;
    println!("{label:<40} {per_call:>7} ns/call");
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn timings() {
    time("fold/ascii", &["ByteDance Ltd."], text::fold);
    time("fold/simplified", &["北京字节跳动科技有限公司"], text::fold);
    time(
        "fold/traditional",
        &["字節跳動（北京）科技有限公司"],
        text::fold,
    );
    time("parse_phones/mobile", &["13800138000"], phone::parse_phones);
    time(
        "parse_phones/mobile formatted",
        &["+86 138-0013-8000"],
        phone::parse_phones,
    );
    time(
        "parse_phones/landline+ext",
        &["(0755) 8888 6666 转 801"],
        phone::parse_phones,
    );
    time(
        "parse_phones/two numbers",
        &["13800138000 / 010-88886666转801"],
        phone::parse_phones,
    );
    time(
        "parse_phones/foreign",
        &["+1 415 555 2671"],
        phone::parse_phones,
    );
    time(
        "parse_company_name/region prefix",
        &["广东省深圳市腾讯计算机系统有限公司"],
        company_name::parse_company_name,
    );
    time(
        "parse_company_name/traditional bracket",
        &["字節跳動（北京）科技有限公司"],
        company_name::parse_company_name,
    );
    time(
        "parse_company_name/english",
        &["Shenyang Xindi Software Co., Ltd."],
        company_name::parse_company_name,
    );
    time(
        "normalize_email",
        &["Sales@XingHe.com.cn"],
        email::normalize_email,
    );
    time(
        "normalize_website",
        &["https://www.xinghe.com.cn/about"],
        website::normalize_website,
    );
    time(
        "parse_address",
        &["广东省深圳市南山区科技园南区12栋"],
        regions::parse_address,
    );
}
