// Waits until the broker answers, then creates the topics it is given that are missing
// and waits until every partition has a leader. Used by start.sh; needs only kafka-clients
// (java -cp "libs/*:tools" EnsureTopics <bootstrap> <timeout-ms> name:partitions ...).
// Existing topics are left as they are; a partition count other than the one asked for
// is reported, not changed.

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

public final class EnsureTopics {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: EnsureTopics <bootstrap> <timeout-ms> [name:partitions ...]");
      System.exit(64);
    }
    String bootstrap = args[0];
    long deadline = System.currentTimeMillis() + Long.parseLong(args[1]);
    Map<String, Integer> wanted = new HashMap<>();
    List<String> order = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      int colon = args[i].lastIndexOf(':');
      if (colon <= 0) {
        System.err.println("bad topic spec (want name:partitions): " + args[i]);
        System.exit(64);
      }
      String name = args[i].substring(0, colon);
      wanted.put(name, Integer.parseInt(args[i].substring(colon + 1)));
      order.add(name);
    }

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "deploy-kafka-ensure-topics");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");

    try (Admin admin = Admin.create(props)) {
      // 1. the broker answers and has registered with the controller
      Set<String> existing = null;
      Exception last = null;
      while (existing == null) {
        try {
          int nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
          if (nodes > 0) existing = admin.listTopics().names().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          last = e;
        }
        if (existing == null) {
          if (System.currentTimeMillis() > deadline) fail("broker at " + bootstrap + " did not answer", last);
          Thread.sleep(300);
        }
      }

      // 2. create what is missing
      List<NewTopic> create = new ArrayList<>();
      for (String name : order) {
        if (!existing.contains(name)) create.add(new NewTopic(name, wanted.get(name), (short) 1));
      }
      if (!create.isEmpty()) {
        var results = admin.createTopics(create).values();
        for (NewTopic t : create) {
          try {
            results.get(t.name()).get(30, TimeUnit.SECONDS);
            System.out.println("created topic " + t.name() + " (" + t.numPartitions() + " partitions)");
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
          }
        }
      }

      // 3. every partition has a leader, so clients can produce at once
      while (true) {
        Map<String, TopicDescription> described = null;
        try {
          described = admin.describeTopics(order).allTopicNames().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          last = e; // metadata not propagated yet
        }
        boolean ready = described != null;
        if (ready) {
          for (TopicDescription d : described.values()) {
            for (TopicPartitionInfo p : d.partitions()) {
              if (p.leader() == null || p.leader().isEmpty()) ready = false;
            }
          }
        }
        if (ready) {
          for (String name : order) {
            int have = described.get(name).partitions().size();
            int want = wanted.get(name);
            System.out.println("topic " + name + ": " + have + " partitions"
                + (have != want ? " (WARNING: " + want + " asked for; an existing topic is not changed)" : ""));
          }
          return;
        }
        if (System.currentTimeMillis() > deadline) fail("topics have no leader yet", last);
        Thread.sleep(200);
      }
    }
  }

  private static void fail(String what, Exception cause) {
    System.err.println("EnsureTopics: " + what + (cause != null ? ": " + cause : ""));
    System.exit(2);
  }
}
