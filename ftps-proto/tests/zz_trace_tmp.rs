#[test]
fn trace() {
    let path = std::env::var("SEED").unwrap();
    let target = std::env::var("TARGET").unwrap();
    let data = std::fs::read(path).unwrap();
    let run = ftps_proto::harness::TARGETS.iter().find(|(t, _)| *t == target).unwrap().1;
    run(&data);
}
