//! `sign` against the Standard Webhooks reference test vector.

use base64::Engine as _;

#[test]
fn matches_the_standard_webhooks_reference_vector() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let key = base64::engine::general_purpose::STANDARD
        .decode(&secret["whsec_".len()..])
        .unwrap();
    let signature = repmon_alerts::sign(
        &key,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[test]
fn any_change_changes_the_signature() {
    let key = b"0123456789abcdef0123";
    let base = repmon_alerts::sign(key, "msg_1", 1614265330, b"{}");
    assert_ne!(base, repmon_alerts::sign(key, "msg_2", 1614265330, b"{}"));
    assert_ne!(base, repmon_alerts::sign(key, "msg_1", 1614265331, b"{}"));
    assert_ne!(base, repmon_alerts::sign(key, "msg_1", 1614265330, b"{ }"));
    assert_ne!(
        base,
        repmon_alerts::sign(b"another key, same length", "msg_1", 1614265330, b"{}")
    );
}
