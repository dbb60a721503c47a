//! The contract suites on the in-memory adapters, plus what only the memory bus promises.

mod memory_store {
    use caravan::adapters::outbound::memory::MemoryEventStore;
    crate::contract!(event_store, || async { Some(MemoryEventStore::new()) });
}

mod local_bus {
    use caravan::adapters::outbound::memory::LocalEventBus;
    crate::contract!(event_bus, || async { Some(LocalEventBus::default()) });

    use std::sync::Arc;

    use caravan::application::ports::{BusMessage, EventBus, StoredEvent};
    use futures::StreamExt;

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_it_lagged() {
        let bus = LocalEventBus::new(2);
        let mut sub = bus.subscribe("g").await.unwrap();
        for id in 1..=5 {
            let batch: Arc<[StoredEvent]> = vec![StoredEvent {
                game_id: "g".into(),
                event_id: id,
                command_id: None,
                timestamp: crate::contract::t(0),
                event: crate::contract::joined(0),
            }]
            .into();
            bus.publish("g", batch).await.unwrap();
        }
        assert!(matches!(sub.next().await, Some(BusMessage::Lagged)));
    }

    #[tokio::test]
    async fn a_game_channel_goes_away_with_its_last_subscriber() {
        let bus = LocalEventBus::default();
        let one = bus.subscribe("g").await.unwrap();
        let two = bus.subscribe("g").await.unwrap();
        drop(one);
        assert_eq!(bus.channel_count(), 1);
        drop(two);
        assert_eq!(bus.channel_count(), 0);
    }
}

mod memory_read_models {
    use caravan::adapters::outbound::memory::MemoryReadModels;
    crate::contract!(read_models, || async { Some(MemoryReadModels::new()) });
}
