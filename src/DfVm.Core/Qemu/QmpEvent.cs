using System;
using System.Text.Json;

namespace DfVm.Core.Qemu
{
    /// <summary>An asynchronous QMP event, e.g. STOP, RESUME, SHUTDOWN, JOB_STATUS_CHANGE.</summary>
    public sealed class QmpEvent
    {
        private static readonly JsonElement EmptyObject = ParseEmptyObject();

        public QmpEvent(string name, JsonElement data, DateTimeOffset timestamp)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Data = data.ValueKind == JsonValueKind.Undefined ? EmptyObject : data;
            Timestamp = timestamp;
        }

        /// <summary>The event name as QEMU spells it ("STOP", "JOB_STATUS_CHANGE").</summary>
        public string Name { get; }

        /// <summary>The event's <c>data</c> object (a detached clone); an empty object when the event has none.</summary>
        public JsonElement Data { get; }

        /// <summary>QEMU's timestamp of the event (host clock, UTC).</summary>
        public DateTimeOffset Timestamp { get; }

        /// <summary>Reads a string member of <see cref="Data"/>; null when absent or not a string.</summary>
        public string GetDataString(string member)
        {
            return Data.ValueKind == JsonValueKind.Object
                   && Data.TryGetProperty(member, out JsonElement value)
                   && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }

        public override string ToString() => $"{Name} {Data.GetRawText()}";

        /// <summary>Builds an event from a parsed QMP message that has an "event" member.</summary>
        internal static QmpEvent FromMessage(JsonElement message)
        {
            string name = message.GetProperty("event").GetString();
            JsonElement data = message.TryGetProperty("data", out JsonElement d) ? d.Clone() : default;
            DateTimeOffset timestamp = DateTimeOffset.UtcNow;
            if (message.TryGetProperty("timestamp", out JsonElement ts) && ts.ValueKind == JsonValueKind.Object
                && ts.TryGetProperty("seconds", out JsonElement sec) && sec.TryGetInt64(out long seconds)
                && ts.TryGetProperty("microseconds", out JsonElement usec) && usec.TryGetInt64(out long micros)
                && seconds >= 0)
            {
                timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
            }

            return new QmpEvent(name, data, timestamp);
        }

        private static JsonElement ParseEmptyObject()
        {
            using (JsonDocument doc = JsonDocument.Parse("{}"))
            {
                return doc.RootElement.Clone();
            }
        }
    }
}
