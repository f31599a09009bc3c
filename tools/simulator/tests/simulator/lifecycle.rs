use crate::common::*;

#[tokio::test]
async fn two_simulators_run_side_by_side_on_their_own_ports() {
    let (one, two) = (start().await, start().await);
    assert_ne!(one.url(), two.url());
    assert!(one.url().starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn after_shutdown_the_simulator_accepts_no_connection() {
    let sim = start().await;
    let url = format!("{}/sim/log", sim.url());
    assert_eq!(
        http().get(&url).send().await.expect("running").status(),
        200
    );
    sim.shutdown().await.expect("clean shutdown");
    assert!(http().get(&url).send().await.is_err_and(|e| e.is_connect()));
}
