//! Cost of normalizing and comparing one record: `cargo bench -p leadguard-matching`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use leadguard_datagen::Generator;
use leadguard_matching::normalize::{company_name, email, phone, regions, text, website};
use leadguard_matching::{Matcher, WeightedMatcher};

fn bench(c: &mut Criterion) {
    let g = Generator::new(1);
    let full = g.company(12_345);
    let retyped = g.retype(12_345);
    let m = WeightedMatcher::default();
    let a = m.profile(&full).expect("valid");
    let b = m.profile(&retyped).expect("valid");

    let mut group = c.benchmark_group("normalize");
    group.bench_function("fold", |bn| {
        bn.iter(|| text::fold(black_box("字節跳動（北京）科技有限公司")))
    });
    group.bench_function("phone/mobile", |bn| {
        bn.iter(|| phone::parse_phones(black_box("+86 138-0013-8000")))
    });
    group.bench_function("phone/landline_ext", |bn| {
        bn.iter(|| phone::parse_phones(black_box("(0755) 8888 6666 转 801")))
    });
    group.bench_function("email", |bn| {
        bn.iter(|| email::normalize_email(black_box("Sales@XingHe.com.cn")))
    });
    group.bench_function("website", |bn| {
        bn.iter(|| website::normalize_website(black_box("https://www.xinghe.com.cn/about")))
    });
    group.bench_function("company_name", |bn| {
        bn.iter(|| {
            company_name::parse_company_name(black_box("广东省深圳市腾讯计算机系统有限公司"))
        })
    });
    group.bench_function("address", |bn| {
        bn.iter(|| regions::parse_address(black_box("广东省深圳市南山区科技园南区12栋")))
    });
    group.bench_function("profile/full_record", |bn| {
        bn.iter(|| m.profile(black_box(&full)))
    });
    group.bench_function("profile/retyped_record", |bn| {
        bn.iter(|| m.profile(black_box(&retyped)))
    });
    group.bench_function("compare", |bn| {
        bn.iter(|| m.compare(black_box(&a), black_box(&b)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
